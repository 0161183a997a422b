import assert from "node:assert/strict";
import type { ControlFrame, Probe, ProbeEcho } from "../bonding/control_frame_types.ts";
import { PATH_DOWN, PATH_UP } from "../bonding/path_health.ts";
import { PathReceiveCounts } from "../bonding/path_receive_counts.ts";
import { PathSendLog } from "../bonding/path_send_log.ts";
import { PathTable } from "../bonding/path_table.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { PATHS_PER_PEER, SEND_LOG_ENTRIES } from "./bonded_sender.ts";
import { PeerPathMonitor } from "./peer_path_monitor.ts";
import { REPORT_INTERVAL_MS, REPORTS_OVERDUE_MS } from "../bonding/path_health.ts";

interface Sent {
  path: number;
  socket: number;
  to: string | null;
  frame: ControlFrame;
}

function setup() {
  const sent: Sent[] = [];
  const monitor = new PeerPathMonitor(
    0,
    (path, socket, to, frame) => sent.push({ path, socket, to: to?.toString() ?? null, frame }),
  );
  return { sent, monitor };
}

Deno.test("path monitor: probes on each path, admitted by echoes, published for the TX Worker", () => {
  const { sent, monitor } = setup();
  monitor.setPath(0, 0, "wan1", 3, null, 1, 5e6);
  monitor.setPath(0, 2, "wan3", 4, Endpoint.parse("203.0.113.3:40000"), 2);
  // The TX Worker's view of the same table, through shared memory.
  const tx = new PathTable(PATHS_PER_PEER, monitor.txMemory.table);
  assert.equal(tx.state[0], PATH_DOWN);
  assert.equal(tx.weight[2], 2);
  const changes: string[] = [];
  for (let t = 0; t <= 100; t += 10) {
    for (const c of monitor.tick(t)) changes.push(`${c.name} ${c.state}`);
    // Echo every probe by the next tick (an RTT of 10 ms).
    for (const s of sent.splice(0)) {
      if (s.frame.type !== "probe") continue;
      const p = s.frame as Probe;
      assert.ok(
        (p.pathId === 0 && s.socket === 3 && s.to === null) ||
          (p.pathId === 2 && s.socket === 4 && s.to === "203.0.113.3:40000"),
        `probe on its own path: ${JSON.stringify(s)}`,
      );
      monitor.onEcho(t + 10, {
        type: "probe-echo",
        pathId: p.pathId,
        seq: p.seq,
        sentAt: p.sentAt,
        holdMs: 0,
      });
    }
  }
  for (const c of monitor.tick(200)) changes.push(`${c.name} ${c.state}`);
  assert.equal(tx.state[0], PATH_UP, "three echoes admit the path");
  // The echo that admits a path changes its state between ticks: the next tick reports it.
  assert.deepEqual(changes.sort(), ["wan1 up", "wan3 up"]);
  assert.equal(tx.state[2], PATH_UP);
  assert.equal(tx.rate[0], 5e6, "seeded capacity");
  assert.ok(tx.owd[0] > 0, "one-way delay from the RTT");
  assert.equal(tx.state[1], PATH_DOWN, "no such path");
  // A path that stays silent goes down (the tick after a stall judges nothing; the next does).
  monitor.tick(1000);
  monitor.tick(1010);
  assert.equal(tx.state[0], PATH_DOWN);
});

Deno.test("path monitor: the tick after a stall judges no path, the echoes that came meanwhile first", () => {
  for (const echoQueued of [true, false]) {
    const { sent, monitor } = setup();
    let t = admit(monitor, sent, 1);
    // Ticks every 10 ms, each probe answered 10 ms later, for a second.
    let held: ProbeEcho | undefined;
    const answer = () => {
      for (const s of sent.splice(0)) {
        if (s.frame.type !== "probe") continue;
        const { pathId, seq, sentAt } = s.frame;
        held = { type: "probe-echo", pathId, seq, sentAt, holdMs: 0 };
      }
    };
    // Until a probe has just left, after a second.
    for (const end = t + 1000; t < end || held === undefined; t += 10) {
      if (held !== undefined) monitor.onEcho(t, held);
      held = undefined;
      monitor.tick(t);
      answer();
    }
    // The event loop blocks for 300 ms: longer than the path's 150-ms silence limit. The echo
    // of that probe came meanwhile and waits behind the first tick.
    t += 300;
    monitor.tick(t);
    assert.equal(monitor.table.state[0], PATH_UP, "taken down for the event loop's silence");
    assert.equal(monitor.ticksDeferred, 1);
    if (echoQueued) monitor.onEcho(t, held!);
    // The next tick judges even if it comes late too (lasting overload).
    monitor.tick(t + 70);
    assert.equal(
      monitor.table.state[0],
      echoQueued ? PATH_UP : PATH_DOWN,
      echoQueued ? "its echo kept it up" : "with no echo the next tick takes it down",
    );
  }
});

Deno.test("path monitor: receive reports while data arrives, at most every report interval", () => {
  const { sent, monitor } = setup();
  monitor.setPath(0, 0, "wan1", 0, null, 1);
  const rx = new PathReceiveCounts(PATHS_PER_PEER, monitor.rxMemory.counts);
  const reports = () => sent.filter((s) => s.frame.type === "receive-report");
  monitor.tick(0);
  assert.equal(reports().length, 0, "nothing arrived: nothing to report");
  rx.count(5, 0, 17, 1000);
  monitor.tick(10);
  assert.equal(reports().length, 0, "within the interval of the last look");
  monitor.tick(REPORT_INTERVAL_MS);
  const [r] = reports();
  assert.equal(r.path, -1, "scheduled like data");
  assert.deepEqual(
    r.frame.type === "receive-report" && r.frame.entries.map((e) => [e.pathId, e.highestCounter]),
    [[0, 17]],
  );
  monitor.tick(2 * REPORT_INTERVAL_MS);
  assert.equal(reports().length, 1, "nothing new arrived");
});

/** Admits paths 0..n-1 with echoes (RTT 10 ms) and returns the time after. */
function admit(monitor: PeerPathMonitor, sent: Sent[], n: number): number {
  for (let p = 0; p < n; p++) monitor.setPath(0, p, `wan${p + 1}`, p, null, 1);
  let t = 0;
  for (; t <= 100; t += 10) {
    monitor.tick(t);
    for (const s of sent.splice(0)) {
      if (s.frame.type !== "probe") continue;
      const { pathId, seq, sentAt } = s.frame;
      monitor.onEcho(t + 10, { type: "probe-echo", pathId, seq, sentAt, holdMs: 0 });
    }
  }
  monitor.tick(t);
  for (let p = 0; p < n; p++) assert.equal(monitor.table.state[p], PATH_UP);
  return t;
}

/**
 * One admitted path with counters 0..99 sent on it at `t`, and `report`: a receive report about
 * it, handled at `now`.
 */
function reportedPath() {
  const { sent, monitor } = setup();
  const t = admit(monitor, sent, 1);
  const log = new PathSendLog(SEND_LOG_ENTRIES, monitor.txMemory.sendLogs[0]);
  for (let c = 0; c < 100; c++) log.record(c, 1000, t);
  const report = (
    now: number,
    reportTime: number,
    e: { highestCounter: number; packets: number; highestAt: number },
  ) =>
    monitor.onReport(
      now,
      {
        type: "receive-report",
        reportTime,
        entries: [{ pathId: 0, bytes: e.packets * 1000, ...e }],
      },
      0,
    );
  return { t, health: monitor.paths[0]!.health, report };
}

Deno.test("path monitor: a report overtaken by a newer one is ignored; a restarted peer's clock is not", () => {
  const path = reportedPath();
  let t = path.t;
  const report = (reportTime: number, highestCounter: number, packets: number) =>
    path.report(t, reportTime, { highestCounter, packets, highestAt: t });
  const health = path.health;
  t += 10;
  assert.equal(report(50_000, 49, 50), true);
  t += 10;
  assert.equal(report(50_025, 99, 100), true);
  const lossBefore = health.loss.rate(t);
  // The first report, overtaken on a faster path by the second: it would count packets
  // 50..99 twice.
  t += 10;
  assert.equal(report(50_000, 49, 50), false);
  assert.equal(report(50_025, 99, 100), false, "the same report twice is no news");
  assert.equal(health.loss.rate(t), lossBefore);
  assert.equal(health.stats.reports, 2);
  // The peer restarted: its clock began again.
  assert.equal(report(30, 0, 1), true);
  assert.equal(health.stats.reports, 3);
});

Deno.test("path monitor: a report's news of a path is dated when the path delivered it", () => {
  const path = reportedPath();
  let t = path.t;
  const report = (reportTime: number, highestCounter: number, highestAt: number) =>
    path.report(t, reportTime, { highestCounter, packets: highestCounter + 1, highestAt });
  const health = path.health;
  report(79_500, 9, 79_500); // the first: what the next ones are compared with
  t += 500;
  report(80_000, 49, 80_000);
  assert.equal(health.lastLifeAt, t);
  // Written 200 ms after the path's last delivery (the peer's clock): life 200 ms ago.
  t += 300;
  report(80_500, 99, 80_300);
  assert.equal(health.lastLifeAt, t - 200);
});

Deno.test("path monitor: the peer's probes set the reorder timeout from the delay spread", () => {
  const { monitor } = setup();
  monitor.setPath(0, 0, "wan1", 0, null, 1);
  monitor.setPath(0, 1, "wan2", 1, null, 1);
  // Same send time, one path 40 ms slower.
  for (let i = 0; i < 10; i++) {
    monitor.onProbe(100 + i * 50, { type: "probe", pathId: 0, seq: i, sentAt: i * 50 });
    monitor.onProbe(140 + i * 50, { type: "probe", pathId: 1, seq: i, sentAt: i * 50 });
  }
  monitor.tick(600);
  const settings = new Float64Array(monitor.rxMemory.settings);
  assert.ok(Math.abs(settings[0] - 40) < 1, `timeout ${settings[0]}`);
});

Deno.test("path monitor: when reports stop, a silent busy path is probed and judged by its echo", () => {
  const { sent, monitor } = setup();
  let t = admit(monitor, sent, 2);
  const logs = [0, 1].map((p) => new PathSendLog(SEND_LOG_ENTRIES, monitor.txMemory.sendLogs[p]));
  let counter = 0;
  const highest = [-1, -1];
  const packets = [0, 0];
  const echoes: { at: number; pathId: number; seq: number; sentAt: number }[] = [];
  const downAt = [Infinity, Infinity];
  // Data on both paths every 10 ms, reports about both every 30 ms on path 0 until `cutAt`, when
  // path 0 dies. Path 0 echoes in 10 ms; path 1 in 30 ms, and in 85 ms after the cut (the
  // traffic moving over from path 0 fills its queue): longer than its RTT timeout (~50 ms) allows.
  const cutAt = t + 2000;
  const probeTimes: number[][] = [[], []];
  for (; t < cutAt + 400; t += 5) {
    while (echoes.length > 0 && echoes[0].at <= t) {
      const { pathId, seq, sentAt } = echoes.shift()!;
      monitor.onEcho(t, { type: "probe-echo", pathId, seq, sentAt, holdMs: 0 });
    }
    for (const p of t % 10 === 0 ? [0, 1] : []) {
      for (let i = 0; i < 5; i++) logs[p].record(counter++, 1000, t);
      if (p === 1 || t < cutAt) {
        highest[p] = counter - 1;
        packets[p] += 5;
      }
    }
    if (t < cutAt && t % 30 === 0) {
      const entries = [0, 1].map((pathId) => ({
        pathId,
        packets: packets[pathId],
        bytes: packets[pathId] * 1000,
        highestCounter: highest[pathId],
        highestAt: t,
      }));
      monitor.onReport(t, { type: "receive-report", reportTime: t, entries }, 0);
    }
    for (const change of monitor.tick(t)) {
      if (change.state === "down") downAt[change.path] = Math.min(downAt[change.path], t);
    }
    for (const s of sent.splice(0)) {
      if (s.frame.type !== "probe") continue;
      const { pathId, seq, sentAt } = s.frame;
      probeTimes[pathId].push(t);
      // The probe is logged like any packet on its path.
      logs[pathId].record(counter++, 64, t);
      if (pathId === 0 && t >= cutAt) continue;
      const rtt = pathId === 0 ? 10 : t >= cutAt ? 85 : 30;
      echoes.push({ at: t + rtt, pathId, seq, sentAt });
      echoes.sort((a, b) => a.at - b.at);
    }
  }
  const lastReport = cutAt - 10 - ((cutAt - 10) % 30);
  // The carrier, silent since its last report, is probed before its silence limit (so that its
  // echo's timeout ends about then), and taken down only when that probe goes unanswered.
  const probed = probeTimes[0].find((at) => at > lastReport)! - lastReport;
  const limit = monitor.paths[0]!.health.downAfterMs;
  assert.ok(
    probed >= REPORTS_OVERDUE_MS && probed < limit,
    `probed ${probed} ms after, limit ${limit}`,
  );
  assert.equal(monitor.table.state[0], PATH_DOWN, "the carrier went down");
  assert.ok(
    downAt[0] - lastReport <= 100,
    `the carrier down ${downAt[0] - lastReport} ms after its last report`,
  );
  assert.equal(monitor.paths[0]!.health.stats.downs, 1);
  assert.equal(monitor.table.state[1], PATH_UP, "the path that kept answering stayed up");
  assert.equal(monitor.paths[1]!.health.stats.downs, 0);
});

Deno.test("path monitor: the path a datagram came by, from its socket and (VPS) its source", () => {
  const { monitor } = setup();
  const a = Endpoint.parse("198.51.100.1:40000");
  const b = Endpoint.parse("198.51.100.2:40001");
  // A VPS's paths: the router's links, NATed to different sources, on one socket.
  monitor.setPath(0, 0, "wan1", 3, a, 1);
  monitor.setPath(0, 2, "wan3", 3, b, 1);
  assert.equal(monitor.pathBy(3, b, false), 2);
  assert.equal(monitor.pathBy(3, a, false), 0);
  assert.equal(
    monitor.pathBy(3, Endpoint.parse("198.51.100.2:40002"), false),
    -1,
    "unknown source",
  );
  assert.equal(monitor.pathBy(4, a, false), -1, "another socket");
  // A router's path is its socket, whichever source the VPS used.
  assert.equal(monitor.pathBy(3, Endpoint.parse("192.0.2.9:51820"), true), 0);
  monitor.removePath(0);
  assert.equal(monitor.pathBy(3, a, false), -1, "removed");
  monitor.setPath(0, 1, "wan2", 5, null, 1);
  assert.equal(monitor.pathBy(5, b, false), 1, "a path to the peer's endpoint: any source");
});
