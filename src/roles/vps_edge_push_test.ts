import assert from "node:assert/strict";
import { vpsValue } from "../config/test_fixtures.ts";
import { validateConfig } from "../config/validate.ts";
import type { BondConfig } from "../config/types.ts";
import { logger, setLogLevel } from "../log.ts";
import { VpsEdge } from "./vps_egress.ts";
import { Endpoint } from "../protocol/endpoint.ts";

const OFFICE_KEY = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

function config(reversed: boolean): BondConfig {
  const v = vpsValue();
  v.peers[0].allowed_ips.push("192.168.50.0/24");
  v.peers.push({ name: "office", public_key: OFFICE_KEY, allowed_ips: ["192.168.60.0/24"] });
  v.peers[0].forwards = [{ proto: "tcp", port: 9000, to: "192.168.50.2:80" }];
  if (reversed) v.peers.reverse();
  const r = validateConfig(v, { baseDir: Deno.cwd() });
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.config;
}

Deno.test("pushed forwards are filed by the sender's key, not its position; refusals come back", async () => {
  setLogLevel("error");
  for (const reversed of [false, true]) {
    const applied: string[] = [];
    const c = config(reversed);
    const edge = new VpsEdge(c, "bnd0", logger("vps"), (text) => {
      applied.push(text);
      return Promise.resolve();
    });
    edge.forwards.loadStatic();
    // The data path started with the peers in the other order: office is its peer 0 there.
    const started = config(!reversed).peers;
    assert.equal(started[reversed ? 0 : 1].name, "home");
    const officeIndex = started.findIndex((p) => p.name === "office");
    const refused = await edge.forwardHandler(started)(officeIndex, [
      { proto: "tcp", port: 8080, to: Endpoint.parse("192.168.60.2:80") },
      // home holds tcp/9000 statically: office's is refused and told so.
      { proto: "tcp", port: 9000, to: Endpoint.parse("192.168.60.2:80") },
    ]);
    assert.deepEqual(refused.map((r) => [r.port, r.to.toString()]), [[9000, "192.168.60.2:80"]]);
    assert.match(refused[0].reason, /already forwarded to peer "home"/);
    const rows = edge.rows().map((r) => [r.peer, r.port, r.state]);
    assert.deepEqual(
      rows.filter(([peer]) => peer === "office"),
      [["office", 8080, "pushed"], ["office", 9000, "refused"]],
      `peers reversed: ${reversed}`,
    );
    assert.equal(applied.length, 1, "the table was rebuilt once");
    assert.match(applied[0], /8080/);
    await assert.rejects(
      edge.pushFrom(new Uint8Array(32).fill(9), []),
      /no configured peer/,
    );
  }
});
