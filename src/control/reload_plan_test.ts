import assert from "node:assert/strict";
import { routerValue, type Yamlish } from "../config/test_fixtures.ts";
import { validateConfig } from "../config/validate.ts";
import { planReload } from "./reload_plan.ts";

function config(edit: (v: Yamlish) => void = () => {}) {
  const v = routerValue();
  edit(v);
  const r = validateConfig(v, { baseDir: Deno.cwd() });
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.config;
}

Deno.test("the same file again changes nothing", () => {
  const c = config();
  const plan = planReload(c, c, config());
  assert.deepEqual(plan.report, { applied: [], needs_restart: [], pending: [] });
  assert.equal(plan.logLevelChanged, false);
  assert.equal(plan.metricsChanged, false);
});

Deno.test("log level, metrics listener and scheduler mode apply live", () => {
  const c = config();
  const next = config((v) => {
    v.log.level = "debug";
    v.metrics = { listen: "127.0.0.1:9586" };
    v.scheduler.mode = "redundant";
  });
  const plan = planReload(c, c, next);
  assert.deepEqual(plan.report.applied, [
    "log.level: info -> debug",
    "metrics.listen: off -> 127.0.0.1:9586",
    "scheduler.mode: aggregate -> redundant",
  ]);
  assert.deepEqual(plan.report.needs_restart, []);
  assert.ok(plan.logLevelChanged && plan.metricsChanged);
  assert.equal(plan.effective.log.level, "debug");
  assert.equal(plan.effective.scheduler.mode, "redundant");
  assert.deepEqual(plan.effective.metrics.listen, { host: "127.0.0.1", port: 9586 });
});

Deno.test("peer, key, interface and crypto changes are reported as needing a restart", () => {
  const c = config();
  const next = config((v) => {
    v.peers[0].persistent_keepalive = 10;
    v.peers[0].endpoint = "203.0.113.99:65535";
    v.peers[0].allowed_ips = ["10.0.0.0/8"];
    v.interface.mtu = 1380;
    v.crypto.backend = "noble";
    v.control = { socket: "/run/other.sock" };
  });
  const plan = planReload(c, c, next);
  assert.deepEqual(plan.report.needs_restart, [
    "interface.mtu",
    "peers[0].endpoint",
    "peers[0].allowed_ips",
    "peers[0].persistent_keepalive",
    "crypto.backend",
    "control.socket",
  ]);
  assert.deepEqual(plan.report.applied, []);
  // What runs is still what started.
  assert.equal(plan.effective.peers[0].persistentKeepalive, 25);
  assert.equal(plan.effective.interface.effectiveMtu, c.interface.effectiveMtu);
});

Deno.test("links and the scheduler mode are live (the daemon applies links); forwards applied", () => {
  const c = config();
  const added = config((v) => v.links.push({ name: "sat", device: "sat0" }));
  let plan = planReload(c, c, added);
  assert.deepEqual(plan.report, { applied: [], needs_restart: [], pending: [] });
  assert.equal(plan.linksChanged, true);
  assert.deepEqual(plan.effective.links.map((l) => l.name), ["dsl", "lte", "sat"]);

  const moved = config((v) => {
    v.links[0].device = "eth9";
    v.forwards = [];
    v.scheduler = { mode: "redundant" };
  });
  plan = planReload(c, c, moved);
  assert.equal(plan.linksChanged, true);
  assert.equal(plan.forwardsChanged, true);
  assert.equal(plan.schedulerChanged, true);
  assert.ok(plan.report.applied.includes("forwards: 1 -> 0 entries"), plan.report.applied.join());
  assert.ok(plan.report.applied.includes("scheduler.mode: aggregate -> redundant"));
  assert.deepEqual(plan.report.needs_restart, [], "even the first link's device is live now");

  plan = planReload(c, c, config());
  assert.equal(plan.linksChanged, false);
  assert.equal(plan.schedulerChanged, false);
});

Deno.test("restart keys are compared with what started, live keys with what is in effect", () => {
  const started = config();
  const first = planReload(
    started,
    started,
    config((v) => {
      v.log.level = "warn";
      v.peers[0].persistent_keepalive = 5;
    }),
  );
  // The same edited file again: the level is already applied, the keepalive still waits.
  const second = planReload(
    started,
    first.effective,
    config((v) => {
      v.log.level = "warn";
      v.peers[0].persistent_keepalive = 5;
    }),
  );
  assert.deepEqual(second.report, {
    applied: [],
    needs_restart: ["peers[0].persistent_keepalive"],
    pending: [],
  });
});

Deno.test("scheduler.tcp needs a restart, and what runs keeps the split it started with", () => {
  const c = config();
  const packet = config((v) => {
    v.scheduler = { mode: "aggregate", tcp: "packet" };
  });
  const plan = planReload(c, c, packet);
  assert.deepEqual(plan.report.needs_restart, ["scheduler.tcp"]);
  assert.equal(plan.effective.scheduler.tcp, "mptcp");
  assert.equal(plan.schedulerChanged, false);
});
