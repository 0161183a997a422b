import assert from "node:assert/strict";
import { vpsValue, type Yamlish } from "../config/test_fixtures.ts";
import { validateConfig } from "../config/validate.ts";
import { planReload } from "./reload_plan.ts";

function vps(edit: (v: Yamlish) => void = () => {}) {
  const v = vpsValue();
  v.peers.push({
    name: "office",
    public_key: "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
    allowed_ips: ["10.66.0.3/32", "192.168.60.0/24"],
  });
  edit(v);
  const r = validateConfig(v, { baseDir: Deno.cwd() });
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.config;
}

Deno.test("a VPS's peers[].forwards and reach apply live and need no restart", () => {
  const c = vps();
  const next = vps((v) => {
    v.peers[1].forwards = [{ proto: "udp", port: 5000, to: "192.168.60.2:5000" }];
    v.peers[1].reach = [v.peers[0].name];
  });
  const plan = planReload(c, c, next);
  assert.equal(plan.edgeChanged, true);
  assert.deepEqual(plan.report.needs_restart, []);
  assert.deepEqual(plan.report.applied, [
    "peers[1].forwards: 0 -> 1 entries",
    `peers[1].reach: [] -> [${c.peers[0].name}]`,
  ]);
  assert.equal(plan.effective.peers[1].forwards[0].port, 5000);
  assert.deepEqual(plan.effective.peers[1].reach, [c.peers[0].name]);
  // The same file again: nothing to rebuild.
  const again = planReload(c, plan.effective, next);
  assert.equal(again.edgeChanged, false);
  assert.deepEqual(again.report.applied, []);
});

Deno.test("a VPS whose peer list changed waits for the restart for its edge keys too", () => {
  const c = vps();
  const next = vps((v) => {
    v.peers.pop();
    v.peers[0].forwards = [{ proto: "tcp", port: 80, to: "10.66.0.2:80" }];
  });
  const plan = planReload(c, c, next);
  assert.equal(plan.edgeChanged, false);
  assert.match(plan.report.needs_restart.join(), /peers \(2 running, 1 in the file\)/);
  assert.equal(plan.effective.peers.length, 2);
});
