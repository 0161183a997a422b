import assert from "node:assert/strict";
import type { ForwardConfig } from "../config/types.ts";
import { parseCidr } from "../net/cidr.ts";
import { VpsForwards } from "./vps_forwards.ts";
import { entryToForward, forwardToEntry } from "./forward_entries.ts";

const tcp = (port: number, host: string, to = 80): ForwardConfig => ({
  proto: "tcp",
  port,
  to: { host, port: to },
});

function table() {
  return new VpsForwards([
    { name: "a", allowedIps: [parseCidr("10.0.1.0/24")], forwards: [tcp(8000, "10.0.1.2")] },
    { name: "b", allowedIps: [parseCidr("10.0.2.0/24"), parseCidr("fd00:2::/64")], forwards: [] },
  ]);
}

Deno.test("static and pushed forwards share one table; a push replaces only the pushed ones", () => {
  const f = table();
  f.loadStatic();
  let change = f.setPushed("a", [tcp(8001, "10.0.1.3")]);
  assert.equal(change.changed, true);
  assert.deepEqual(f.rows().map((r) => [r.peer, r.port, r.state]), [
    ["a", 8000, "static"],
    ["a", 8001, "pushed"],
  ]);
  change = f.setPushed("a", [tcp(8001, "10.0.1.3")]);
  assert.equal(change.changed, false, "an idempotent re-send changes nothing");
  change = f.setPushed("a", []);
  assert.deepEqual(change.removed.map((r) => r.port), [8001]);
  assert.deepEqual(f.active().map((r) => r.port), [8000]);
});

Deno.test("the later peer's colliding or reserved forward is refused and shown with a reason", () => {
  const f = table();
  f.loadStatic();
  f.setPushed("b", [tcp(8000, "10.0.2.2"), tcp(65010, "10.0.2.2")]);
  const refused = f.rows().filter((r) => r.state === "refused");
  assert.deepEqual(refused.map((r) => [r.peer, r.port]), [["b", 8000], ["b", 65010]]);
  assert.match(refused[0].reason!, /already forwarded to peer "a"/);
  assert.match(refused[1].reason!, /reserved for the VPS itself/);
  // The holder keeps the port even when its own set is pushed again later.
  f.setPushed("a", [tcp(9000, "10.0.1.9")]);
  assert.deepEqual(f.active().map((r) => [r.peer, r.port]), [["a", 8000], ["a", 9000]]);
});

Deno.test("forwards survive the trip through the wire shape, IPv6 included", () => {
  for (const fwd of [tcp(443, "10.0.2.7", 8443), tcp(22, "fd00:2::7", 22)]) {
    assert.deepEqual(entryToForward(forwardToEntry(fwd)), fwd);
  }
});
