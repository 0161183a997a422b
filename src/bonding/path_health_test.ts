import assert from "node:assert/strict";
import {
  PATH_DEGRADED,
  PATH_DOWN,
  PATH_UP,
  PathHealth,
  type PathHealthOptions,
  type PathState,
  pathStateName,
  REPORT_INTERVAL_MS,
  REPORTS_OVERDUE_MS,
} from "./path_health.ts";
import { PathSendLog } from "./path_send_log.ts";
import { AggregateScheduler } from "./aggregate_scheduler.ts";
import { PathTable } from "./path_table.ts";
import { TestRandom } from "./test_random.ts";

/**
 * A path in a synthetic timeline, one step per millisecond: probes leave when due, each echo
 * comes back after `rtt(t)` if the path was alive when the probe left and when the echo would
 * arrive, and `tick` runs every step. Records every state change.
 */
class Timeline {
  readonly log = new PathSendLog(4096);
  readonly health: PathHealth;
  readonly changes: { at: number; state: PathState }[] = [];
  now = 0;
  #counter = 0;
  #echoes: { at: number; seq: number; sentAt: number }[] = [];

  constructor(options: PathHealthOptions = {}) {
    this.health = new PathHealth(this.log, options);
  }

  run(ms: number, alive: (t: number) => boolean, rtt: (t: number) => number): void {
    const end = this.now + ms;
    for (; this.now < end; this.now++) {
      const t = this.now;
      const h = this.health;
      this.#echoes.sort((a, b) => a.at - b.at);
      while (this.#echoes.length > 0 && this.#echoes[0].at <= t) {
        const e = this.#echoes.shift()!;
        if (alive(t)) this.#watch(t, () => h.onProbeEcho(t, e.seq, e.sentAt, 0));
      }
      if (h.probeDue(t)) {
        const seq = h.takeProbe(t);
        this.log.record(this.#counter++, 64, t);
        if (alive(t)) this.#echoes.push({ at: t + rtt(t), seq, sentAt: t });
      }
      this.#watch(t, () => h.tick(t));
    }
  }

  #watch(t: number, event: () => unknown): void {
    const before = this.health.state;
    event();
    if (this.health.state !== before) this.changes.push({ at: t, state: this.health.state });
  }
}

const always = () => true;
const fixed = (ms: number) => () => ms;

Deno.test("a new path is admitted after three consecutive echoes and measures its RTT", () => {
  const tl = new Timeline();
  tl.run(1000, always, fixed(20));
  assert.equal(tl.health.state, PATH_UP);
  // Probes at 0, 50, 100: the third echo arrives at 120 ms.
  assert.deepEqual(tl.changes, [{ at: 120, state: PATH_UP }]);
  assert.ok(Math.abs(tl.health.rtt.srtt - 20) < 0.01);
  assert.ok(tl.health.rtt.jitter < 0.01);
  assert.equal(tl.health.owdMs, 10);
  assert.equal(tl.health.stats.probesLost, 0);
});

Deno.test("a dead path is declared down within 150 ms of its last sign of life", () => {
  for (const rtt of [2, 20, 60]) {
    for (const deathAt of [1000, 1013, 1037]) {
      const tl = new Timeline();
      tl.run(3000, (t) => t < deathAt, fixed(rtt));
      const down = tl.changes.find((c) => c.state === PATH_DOWN);
      assert.ok(down, `rtt ${rtt}: never went down`);
      const silence = down.at - tl.health.lastLifeAt;
      assert.ok(silence <= 151, `rtt ${rtt} death ${deathAt}: down after ${silence} ms silence`);
      assert.ok(silence > 100, `rtt ${rtt}: down too eagerly after ${silence} ms`);
      assert.ok(down.at - deathAt <= 200, `rtt ${rtt}: down ${down.at - deathAt} ms after death`);
    }
  }
});

Deno.test("a slow jittery path waits srtt + 4 rttvar before it is declared down", () => {
  const rnd = new TestRandom(7);
  const tl = new Timeline();
  // LTE-like: 240 ms round trip, +-40 ms of jitter.
  tl.run(10_000, always, () => 200 + rnd.int(80));
  assert.equal(tl.health.state, PATH_UP, "no false alarm from jitter");
  assert.equal(tl.health.stats.downs, 0);
  const limit = tl.health.downAfterMs;
  assert.ok(limit > 150, `limit ${limit} follows the RTT, not the probe interval`);
  tl.run(2000, () => false, fixed(240));
  assert.equal(tl.health.state, PATH_DOWN);
});

Deno.test("isolated probe losses never take a path down", () => {
  const rnd = new TestRandom(11);
  const tl = new Timeline();
  tl.run(500, always, fixed(30));
  // A 40 ms blip every 300 ms (a probe or an echo lost each time) and 2% of instants dropping
  // whatever passes.
  const start = tl.now;
  tl.run(20_000, (t) => (t - start) % 300 >= 40 && !rnd.chance(0.02), fixed(30));
  assert.equal(tl.health.stats.downs, 0);
  assert.ok(tl.health.stats.probesLost > 20, "losses did happen");
  assert.ok(tl.health.state !== PATH_DOWN);
});

Deno.test("a flapping path does not flap its state at every blip", () => {
  const tl = new Timeline();
  tl.run(1000, always, fixed(20));
  // 400 ms dead, 400 ms alive, for 24 s: 30 outages.
  const start = tl.now;
  tl.run(24_000, (t) => ((t - start) % 800) >= 400, fixed(20));
  const downs = tl.changes.filter((c) => c.state === PATH_DOWN).length;
  assert.ok(downs >= 1, "outages longer than the limit are seen");
  assert.ok(downs <= 6, `went down ${downs} times in 30 outages`);
  assert.ok(tl.health.recoverProbesNeeded > 3, "readmission got stricter");
  // Once the link is stable it comes back, and the penalty is forgiven over time.
  tl.run(80_000, always, fixed(20));
  assert.equal(tl.health.state, PATH_UP);
  assert.equal(tl.health.flaps, 0);
  assert.equal(tl.health.recoverProbesNeeded, 3);
});

Deno.test("a path that comes back is readmitted only after several good probes", () => {
  const tl = new Timeline();
  tl.run(1000, always, fixed(20));
  tl.run(1000, () => false, fixed(20));
  assert.equal(tl.health.state, PATH_DOWN);
  const back = tl.now;
  tl.run(1000, always, fixed(20));
  const up = tl.changes.at(-1)!;
  assert.equal(up.state, PATH_UP);
  // After one down the path needs 6 echoes: probes 50 ms apart, the sixth answered 20 ms later.
  assert.ok(up.at - back >= 5 * 50 + 20, `readmitted ${up.at - back} ms after it came back`);
  assert.ok(up.at - back <= 6 * 50 + 20);
});

/** Feeds the health receive reports for a path carrying `pps` packets of `size` bytes. */
function reportTimeline(
  health: PathHealth,
  log: PathSendLog,
  opts: { from: number; ms: number; pps: number; size: number; loss: number; rnd: TestRandom },
  state: {
    counter: number;
    recvPackets: number;
    recvBytes: number;
    highest: number;
    highestAt: number;
  },
): void {
  const interval = 50;
  const perInterval = (opts.pps * interval) / 1000;
  for (let t = opts.from; t < opts.from + opts.ms; t += interval) {
    for (let i = 0; i < perInterval; i++) {
      const c = state.counter++;
      const sentAt = t + (i * interval) / perInterval;
      log.record(c, opts.size, sentAt);
      if (!opts.rnd.chance(opts.loss)) {
        state.recvPackets++;
        state.recvBytes += opts.size;
        state.highest = c;
        state.highestAt = sentAt + 10;
      }
    }
    health.onReport(
      t + interval,
      state.recvPackets,
      state.recvBytes,
      state.highest,
      state.highestAt,
    );
    health.tick(t + interval);
  }
}

Deno.test("loss from per-path reports makes a path degraded, and up again when it clears", () => {
  const tl = new Timeline();
  tl.run(500, always, fixed(20));
  const h = tl.health;
  const rnd = new TestRandom(3);
  const st = { counter: 100_000, recvPackets: 0, recvBytes: 0, highest: 0, highestAt: 0 };
  let t = tl.now;
  // Keep probes answered meanwhile: liveness must not be the question here.
  const keepAlive = () => {
    const seq = h.takeProbe(t);
    h.onProbeEcho(t + 20, seq, t, 0);
  };
  const phase = (ms: number, loss: number) => {
    const end = t + ms;
    for (; t < end; t += 100) {
      keepAlive();
      reportTimeline(h, tl.log, { from: t, ms: 100, pps: 2000, size: 1000, loss, rnd }, st);
    }
  };
  phase(3000, 0.2);
  assert.equal(pathStateName(h.state), "degraded");
  const measured = h.loss.rate(t);
  assert.ok(Math.abs(measured - 0.2) < 0.03, `loss measured ${measured}`);
  phase(3000, 0.07);
  assert.equal(h.state, PATH_DEGRADED, "inside the hysteresis band it stays degraded");
  phase(10_000, 0);
  assert.equal(h.state, PATH_UP);
});

Deno.test("in-flight packets are not counted as lost: loss only covers counters the receiver passed", () => {
  const log = new PathSendLog(4096);
  const h = new PathHealth(log);
  for (let c = 0; c < 1000; c++) log.record(c, 100, c);
  // The receiver got 0..499 and nothing beyond yet: 500 packets still in flight.
  h.onReport(500, 500, 50_000, 499, 500);
  for (let c = 1000; c < 2000; c++) log.record(c, 100, c);
  h.onReport(1000, 1500, 150_000, 1499, 1000);
  assert.equal(h.loss.rate(1000), 0);
  assert.equal(h.stats.reportsUnmatched, 0);
  h.onReport(1050, 1600, 160_000, 5_000_000, 1050);
  assert.equal(h.stats.reportsUnmatched, 1, "a counter never sent on this path");
});

/**
 * A sender that always has traffic, paced at the estimate times the aggregate scheduler's gain
 * cycle, over a FIFO bottleneck of `capacityMbps` with a `queueMs` queue (what finds it full is
 * lost) and `delayMs` ± `jitterMs` of delay per packet; the receiver reports every `reportMs`.
 * `onReport(t)` runs after each report. Steps of 0.1 ms.
 */
function driveBottleneck(
  h: PathHealth,
  log: PathSendLog,
  o: {
    capacityMbps: number;
    queueMs: number;
    delayMs: number;
    jitterMs?: number;
    reportMs: number;
    slackMs?: number;
    ms: number;
    onReport?: (t: number) => void;
  },
): void {
  const pacer = new AggregateScheduler(new PathTable(1));
  const rnd = new TestRandom(11);
  const jitter = o.jitterMs ?? 0;
  const capacityPerMs = (o.capacityMbps * 1e6) / 8 / 1000;
  const size = 1250;
  const inFlight: { at: number; counter: number }[] = [];
  let counter = 0, nextSend = 0, linkFree = 0;
  let recvPackets = 0, recvBytes = 0, highest = -1, highestAt = 0;
  const reportSteps = o.reportMs * 10;
  for (let step = 0; step < o.ms * 10; step++) {
    const t = step / 10;
    while (nextSend <= t) {
      const c = counter++;
      log.record(c, size, nextSend);
      const start = Math.max(nextSend, linkFree);
      if (start - nextSend <= o.queueMs) {
        linkFree = start + size / capacityPerMs;
        const spread = jitter > 0 ? rnd.next() * 2 * jitter - jitter : 0;
        inFlight.push({ at: linkFree + o.delayMs + spread, counter: c });
      }
      nextSend += size / ((h.rate.rate * pacer.gain(nextSend, 0)) / 1000);
    }
    // Jitter reorders the packets on the way; the receiver sees them by arrival.
    if (jitter > 0) inFlight.sort((a, b) => a.at - b.at);
    while (inFlight.length > 0 && inFlight[0].at <= t) {
      const a = inFlight.shift()!;
      recvPackets++;
      recvBytes += size;
      if (a.counter > highest) {
        highest = a.counter;
        highestAt = a.at;
      }
    }
    if (step % reportSteps === 0 && highest >= 0) {
      h.onReport(t, recvPackets, recvBytes, highest, highestAt, o.slackMs ?? 0);
      o.onReport?.(t);
    }
  }
}

Deno.test("the rate estimate climbs from a low seed and falls to a slower path's capacity", () => {
  for (const [seedMbps, capacityMbps] of [[10, 40], [100, 20]]) {
    const log = new PathSendLog(65536);
    const h = new PathHealth(log, { seedBytesPerSecond: (seedMbps * 1e6) / 8 });
    // A 20 ms queue and 10 ms of delay; reports every 50 ms.
    driveBottleneck(h, log, { capacityMbps, queueMs: 20, delayMs: 10, reportMs: 50, ms: 8000 });
    const got = (h.rate.rate * 8) / 1e6;
    assert.ok(
      Math.abs(got - capacityMbps) / capacityMbps < 0.1,
      `seed ${seedMbps}: estimate ${got.toFixed(1)} Mbit/s for a ${capacityMbps} Mbit/s path`,
    );
  }
});

Deno.test("a jittery path's estimate stays near its capacity when it is driven at it", () => {
  // An LTE-like path: 25 Mbit/s, a 100 ms queue, 120 ms of delay and ±20 ms of jitter on each
  // packet; reports every 25 ms, the path's slack 22 ms. Paced at the estimate (times the gain
  // cycle), the sender keeps it busy. Samples of one report each would let the jitter bunch
  // arrivals into bursts that read as far more than the path carries.
  const log = new PathSendLog(65536);
  const h = new PathHealth(log, { seedBytesPerSecond: (25 * 1e6) / 8 });
  let peak = 0;
  driveBottleneck(h, log, {
    capacityMbps: 25,
    queueMs: 100,
    delayMs: 120,
    jitterMs: 20,
    reportMs: 25,
    slackMs: 22,
    ms: 10_000,
    onReport: (t) => {
      if (t > 2000) peak = Math.max(peak, h.rate.rate);
    },
  });
  const peakMbps = (peak * 8) / 1e6;
  assert.ok(
    peakMbps < 25 * 1.3,
    `estimate reached ${peakMbps.toFixed(1)} Mbit/s on a 25 Mbit/s path`,
  );
});

Deno.test("echoes that do not match an outstanding probe are rejected", () => {
  const h = new PathHealth(new PathSendLog(1024));
  const seq = h.takeProbe(100);
  assert.equal(h.onProbeEcho(120, seq, 99, 0), false, "wrong timestamp");
  assert.equal(h.onProbeEcho(120, seq + 1, 100, 0), false, "never sent");
  assert.equal(h.onProbeEcho(90, seq, 100, 0), false, "negative RTT");
  assert.equal(h.onProbeEcho(130, seq, 100, 4), true);
  assert.equal(h.rtt.srtt, 26, "hold time is subtracted");
  assert.equal(h.onProbeEcho(131, seq, 100, 0), false, "answered twice");
  assert.equal(h.stats.echoesRejected, 4);
});

Deno.test("probes go out faster while the path is idle than while it carries data", () => {
  const tl = new Timeline();
  tl.run(1000, always, fixed(10));
  const idleProbes = tl.health.stats.probesSent;
  assert.equal(tl.health.busy, false);
  // Data on the path: 10 packets per ms besides the probes.
  let counter = 1_000_000;
  const h = tl.health;
  const start = h.stats.probesSent;
  for (let t = tl.now; t < tl.now + 1000; t++) {
    for (let i = 0; i < 10; i++) tl.log.record(counter++, 1000, t);
    if (h.probeDue(t)) {
      const seq = h.takeProbe(t);
      h.onProbeEcho(t, seq, t, 0);
    }
    h.tick(t);
  }
  assert.equal(h.busy, true);
  const busyProbes = h.stats.probesSent - start;
  assert.ok(idleProbes >= 19 && idleProbes <= 21, `idle: ${idleProbes} probes in 1 s`);
  assert.ok(busyProbes >= 9 && busyProbes <= 12, `busy: ${busyProbes} probes in 1 s`);
});

Deno.test("path health options are checked", () => {
  const log = new PathSendLog(1024);
  assert.throws(() => new PathHealth(log, { probeIdleMs: 0 }), /probeIdleMs must be a positive/);
  assert.throws(
    () => new PathHealth(log, { degradedLossEnter: 0.05, degradedLossExit: 0.05 }),
    /degradedLossExit must be below/,
  );
});

/**
 * A path carrying data: a packet every `everyMs`, arriving `owd` ms later (`queue.ms` more if
 * sent from `queue.from` on); the receiver reports what arrived (probes too) every
 * REPORT_INTERVAL_MS while something new arrived, delivered `owd` ms later, on this path
 * (`carrier`) or on another until `reportsLostFrom`; probes echo after 2 x owd (plus the queue).
 * The path stops at `deathAt`, and its reports with it if it carries them. `tick` is told what
 * the reports do as the monitor would (REPORTS_OVERDUE_MS). `lateReportAt`: a report written
 * then (after the death) arrives `owd` later anyway, with what arrived before the death: the
 * carrier's last report, sent again on another path. Returns when the path went down (or
 * undefined) and its last sign of life.
 */
function busyPath(
  everyMs: number,
  deathAt: number,
  endAt: number,
  {
    owd = 10,
    reportsLostFrom = Infinity,
    carrier = true,
    queue = { from: Infinity, ms: 0 },
    dataLost = { from: Infinity, to: Infinity },
    othersReport = false,
    lateReportAt = Infinity,
  } = {},
) {
  const log = new PathSendLog(4096);
  const h = new PathHealth(log);
  const sent: { counter: number; arrives: number }[] = [];
  const echoes: { at: number; seq: number; sentAt: number }[] = [];
  const reports: {
    at: number;
    received: number;
    highest: number;
    highestAt: number;
    reportTime: number;
  }[] = [];
  const delay = (t: number) => owd + (t >= queue.from ? queue.ms : 0);
  let counter = 0;
  let received = 0;
  let reportedUpTo = -1;
  let lastReportAt = -Infinity;
  let downAt: number | undefined;
  // Admitted first, as a live path would be.
  for (let t = 0; t < endAt; t++) {
    const alive = t < deathAt;
    while (echoes.length > 0 && echoes[0].at <= t) {
      const e = echoes.shift()!;
      if (alive) h.onProbeEcho(t, e.seq, e.sentAt, 0);
    }
    while (reports.length > 0 && reports[0].at <= t) {
      const r = reports.shift()!;
      lastReportAt = t;
      h.onReport(t, r.received, r.received * 1200, r.highest, r.highestAt, 0, r.reportTime);
    }
    if (h.probeDue(t)) {
      const seq = h.takeProbe(t);
      log.record(counter, 64, t);
      sent.push({ counter: counter++, arrives: t + delay(t) });
      if (alive) echoes.push({ at: t + delay(t) + owd, seq, sentAt: t });
    }
    if (t >= 300 && t % everyMs === 0) {
      log.record(counter, 1200, t);
      const lost = t >= dataLost.from && t < dataLost.to;
      if (!lost) sent.push({ counter, arrives: t + delay(t) });
      counter++;
    }
    if (alive && t % 25 === 0) {
      let highest = reportedUpTo;
      for (const s of sent) if (s.arrives <= t && s.counter > highest) highest = s.counter;
      if (highest > reportedUpTo) {
        received += sent.filter((s) => s.counter > reportedUpTo && s.counter <= highest).length;
        reportedUpTo = highest;
        if (t < reportsLostFrom) {
          reports.push({ at: t + owd, received, highest, highestAt: t, reportTime: t });
        }
      }
    }
    if (t === lateReportAt) {
      const arrived = sent.filter((s) => s.arrives < deathAt);
      const last = arrived[arrived.length - 1];
      reports.push({
        at: t + owd,
        received: arrived.length,
        highest: last.counter,
        highestAt: last.arrives,
        reportTime: t,
      });
    }
    const before = h.state;
    // Other paths' news keeps the peer's reports coming, whatever this path does.
    const overdue = !othersReport && t - lastReportAt > REPORTS_OVERDUE_MS;
    h.tick(t, !overdue ? "flowing" : carrier ? "overdue-here" : "overdue-elsewhere");
    if (before !== PATH_DOWN && h.state === PATH_DOWN && t > 300) downAt ??= t;
  }
  return { downAt, lastLifeAt: h.lastLifeAt, health: h };
}

Deno.test("a busy path is declared down within ~75 ms of its last report, a sparse one is not", () => {
  const dense = busyPath(2, 3000, 4000);
  assert.ok(dense.downAt !== undefined, "the dead path went down");
  const silence = dense.downAt - dense.lastLifeAt;
  // 75 ms, or, its reports having stopped too, the probe sent when they were overdue (50 ms)
  // unanswered for its RTT (20 ms) and a 10 ms margin.
  assert.ok(silence <= 85 && silence >= 70, `down after ${silence} ms of silence`);
  // One packet every 100 ms: reports show life only that often, so it is not taken for dead.
  const sparse = busyPath(100, 10_000, 10_000);
  assert.equal(sparse.downAt, undefined, "no false alarm on a path used now and then");
  assert.equal(sparse.health.stats.downs, 0);
  assert.ok(sparse.health.busy);
  // Its signs of life (data and probes reported) come less often: it waits longer than 75 ms.
  assert.ok(sparse.health.downAfterMs >= 120, `${sparse.health.downAfterMs}`);
});

Deno.test("a busy path waits a report interval longer than its RTT timeout: reports bring its news", () => {
  // RTT 100 ms: the RTT term (srtt + 4 rttvar + 10 ms) outweighs 3 x the 25-ms report interval.
  const r = busyPath(2, Infinity, 3000, { owd: 50 });
  assert.ok(r.health.busy);
  const rto = r.health.rtt.timeout(10);
  assert.ok(rto > 100, `${rto}`);
  assert.equal(r.health.downAfterMs, rto + REPORT_INTERVAL_MS);
});

Deno.test("a busy path outlives the path its reports ride, and still goes down when it dies", () => {
  for (const owd of [10, 30, 50]) {
    for (const cutAt of [2000, 2013, 2037]) {
      // The carrier dies at cutAt, this path lives on: only its echoes speak for it, for 300 ms
      // (longer than the peer takes to move its reports elsewhere), and the traffic moving here
      // from the dead path delays them by 25 ms more than its RTT timeout allows.
      const lives = busyPath(2, Infinity, cutAt + 300, {
        owd,
        reportsLostFrom: cutAt,
        carrier: false,
        queue: { from: cutAt, ms: 25 },
      });
      assert.equal(lives.downAt, undefined, `owd ${owd} cut ${cutAt}: taken down with the carrier`);
      assert.ok(lives.health.lastLifeAt > cutAt + 200, "its echoes kept it alive");
      // This path is the carrier, and dies: down soon after its last report, all the same.
      const dies = busyPath(2, cutAt, cutAt + 1000, { owd });
      assert.ok(dies.downAt !== undefined, `owd ${owd} cut ${cutAt}: never went down`);
      const after = dies.downAt - cutAt;
      // Its last report arrives up to owd after the cut, reports are overdue 50 ms later, and
      // the probe sent then goes unanswered for its RTT (2 owd) and a 10 ms margin.
      assert.ok(after <= 3 * owd + 65, `owd ${owd} cut ${cutAt}: down ${after} ms after the cut`);
    }
  }
});

Deno.test("a silent busy path goes down only when its probe goes unanswered", () => {
  for (let from = 2000; from < 2100; from += 7) {
    // Data every 2 ms, and for 200 ms none of it arrives (a burst loss that spares the small
    // probes), while other paths keep the peer's reports coming: they bring no news of this
    // path for longer than its ~75-ms silence limit. The probe sent once it fell silent is
    // answered, and it stays up.
    const r = busyPath(2, Infinity, from + 1000, {
      dataLost: { from, to: from + 200 },
      othersReport: true,
    });
    assert.equal(r.downAt, undefined, `loss from ${from}: taken down while answering`);
    assert.equal(r.health.stats.downs, 0);
    // Dead, it goes down as soon as its silence alone would have taken it: the probe leaves
    // early enough for its RTT timeout (20 ms and a margin) to end by then.
    const dies = busyPath(2, from, from + 1000, { othersReport: true });
    assert.ok(dies.downAt !== undefined, `death at ${from}: never went down`);
    const silence = dies.downAt - dies.lastLifeAt;
    assert.ok(silence >= 75 && silence <= 80, `death at ${from}: down after ${silence} ms silent`);
  }
});

Deno.test("a report that comes late dates the path's life by its delivery, not by its arrival", () => {
  // The path dies at 2000 and with it the reports it carried; the deliveries of its last 25 ms
  // reach the sender in a report written 40 ms later on another path. That old news must
  // neither make the path look alive at 2050 nor stretch the interval its life is expected at.
  const r = busyPath(2, 2000, 3000, { lateReportAt: 2040, othersReport: true });
  assert.ok(r.downAt !== undefined, "never went down");
  assert.ok(r.lastLifeAt < 2010, `last sign of life at ${r.lastLifeAt}`);
  assert.ok(r.downAt - 2000 <= 100, `down ${r.downAt - 2000} ms after the death`);
  // The same report written at once is ordinary news (the reference: no later than that).
  const prompt = busyPath(2, 2000, 3000, { lateReportAt: 2000, othersReport: true });
  assert.ok(r.downAt <= prompt.downAt! + 10, `${r.downAt} against ${prompt.downAt}`);
});

Deno.test("losses of uncounted (split subflow) packets do not degrade a path, and they keep it alive", () => {
  const log = new PathSendLog(8192);
  const h = new PathHealth(log);
  // Admit the path.
  for (let i = 0; i < 3; i++) h.onProbeEcho(i * 50 + 20, h.takeProbe(i * 50), i * 50, 0);
  assert.equal(h.state, PATH_UP);
  let counter = 0, recvPackets = 0, recvBytes = 0, highest = 0, highestAt = 0;
  const rnd = new TestRandom(9);
  // 3 s of traffic, every 25 ms a report; 9 in 10 packets are a subflow's, and 30 % of those
  // are dropped (its congestion control filling the queue); the path's own packets arrive.
  for (let t = 200; t < 3200; t += 25) {
    for (let i = 0; i < 50; i++) {
      const split = i % 10 !== 0;
      const c = counter++;
      log.record(c, 1000, t + i * 0.5, t + i * 0.5, !split);
      if (split && rnd.chance(0.3)) continue;
      if (!split) recvPackets++;
      recvBytes += 1000;
      highest = c;
      highestAt = t + i * 0.5 + 10;
    }
    h.onReport(t + 25, recvPackets, recvBytes, highest, highestAt);
    h.tick(t + 25);
  }
  assert.equal(h.state, PATH_UP, "neither degraded by the subflow's losses nor timed out");
  assert.equal(h.loss.rate(3200), 0);
});
