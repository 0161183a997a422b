import assert from "node:assert/strict";
import { AggregateScheduler } from "./aggregate_scheduler.ts";
import { PATH_DEGRADED, PATH_DOWN, PATH_UP } from "./path_health.ts";
import { PathTable } from "./path_table.ts";
import { createScheduler, maskToPath, type SchedulerMode } from "./scheduler.ts";
import { TestRandom } from "./test_random.ts";

const MBIT = 1e6 / 8;

/** Three up paths: 40/20/10 Mbit/s at 10/30/50 ms one way (the lab's profile A). */
function profileA(): PathTable {
  const t = new PathTable(3);
  t.set(0, { state: PATH_UP, rate: 40 * MBIT, owd: 10 });
  t.set(1, { state: PATH_UP, rate: 20 * MBIT, owd: 30 });
  t.set(2, { state: PATH_UP, rate: 10 * MBIT, owd: 50 });
  return t;
}

/**
 * Offers `mbps` of 1250-byte packets for `seconds` and returns bytes per path, departures per
 * path (time, bytes) and drops.
 */
function offer(s: AggregateScheduler, paths: number, mbps: number, seconds: number) {
  const size = 1250;
  const gap = (size / (mbps * MBIT)) * 1000;
  const bytes = new Array(paths).fill(0);
  const departures: [number, number][][] = Array.from({ length: paths }, () => []);
  let drops = 0;
  for (let now = 0; now < seconds * 1000; now += gap) {
    const mask = s.pick(now, size, 0);
    if (mask === 0) {
      drops++;
      continue;
    }
    assert.equal(mask & (mask - 1), 0, "one path per packet");
    const p = maskToPath(mask);
    bytes[p] += size;
    departures[p].push([s.departure, size]);
    assert.ok(s.departure >= now);
  }
  return { bytes, departures, drops };
}

Deno.test("aggregate fills the paths in proportion to their rates under overload", () => {
  const s = new AggregateScheduler(profileA());
  const { bytes, drops } = offer(s, 3, 105, 10); // 1.5 x the 70 Mbit/s sum
  const total = bytes.reduce((a, b) => a + b);
  const shares = bytes.map((b) => b / total);
  [4 / 7, 2 / 7, 1 / 7].forEach((want, p) => {
    assert.ok(Math.abs(shares[p] - want) < 0.02, `path ${p}: ${shares[p]} of the bytes`);
  });
  assert.ok(drops > 0, "what no path can take is dropped");
  // Accepted traffic is the paced sum: the pacing gain averages 1 over its cycles.
  const mbps = (total * 8) / 10 / 1e6;
  assert.ok(Math.abs(mbps - 70) / 70 < 0.03, `accepted ${mbps.toFixed(1)} Mbit/s`);
});

Deno.test("aggregate keeps light traffic on the lowest-delay path", () => {
  const s = new AggregateScheduler(profileA());
  const { bytes, drops } = offer(s, 3, 20, 5);
  assert.equal(drops, 0);
  assert.equal(bytes[1] + bytes[2], 0, `spilled ${bytes[1] + bytes[2]} bytes`);
});

Deno.test("aggregate spills over to slower paths only as the fast one queues up", () => {
  const s = new AggregateScheduler(profileA());
  const { bytes } = offer(s, 3, 60, 5); // above path 0's 44 Mbit/s pace, below the sum
  const total = bytes.reduce((a, b) => a + b);
  assert.ok(bytes[0] / total > 0.6, "the fast path carries what it can (40 of 60)");
  assert.ok(bytes[1] > 0, "the next path takes the excess");
});

Deno.test("aggregate pacing never sends a path faster than its pace", () => {
  const s = new AggregateScheduler(profileA(), { probeGain: 1.25 });
  const seconds = 8; // whole pacing cycles (8 phases of 100 ms)
  const { departures } = offer(s, 3, 200, seconds);
  const rates = [40, 20, 10];
  departures.forEach((list, p) => {
    // No two packets closer than the probing phase's pace allows...
    const fastestPerMs = (rates[p] * MBIT * 1.25) / 1000;
    for (let k = 1; k < list.length; k++) {
      const [t0, size] = list[k - 1];
      const gap = list[k][0] - t0;
      assert.ok(
        gap >= size / fastestPerMs - 1e-9,
        `path ${p} packet ${k}: ${gap} ms after the last`,
      );
    }
    // ...and over whole cycles the path's own rate.
    const mbps = (list.length * 1250 * 8) / (seconds * 1000) / 1000;
    assert.ok(Math.abs(mbps - rates[p]) / rates[p] < 0.01, `path ${p} paced at ${mbps} Mbit/s`);
  });
  assert.equal(s.gain(0, 0), 1.25);
  assert.equal(s.gain(100, 0), 0.75);
  assert.equal(s.gain(200, 0), 1);
  assert.equal(s.gain(0, 1), 1, "paths probe at different times");
});

Deno.test("aggregate drops when every path's queue is full, and honours maxQueueMs", () => {
  const t = new PathTable(1);
  t.set(0, { state: PATH_UP, rate: 1 * MBIT, owd: 5 });
  const s = new AggregateScheduler(t, { probeGain: 1, maxQueueMs: 20 });
  let accepted = 0;
  for (let i = 0; i < 100; i++) if (s.pick(0, 1250, 0) !== 0) accepted++;
  // 1250 bytes at 125 bytes/ms take 10 ms each: queued work may start up to 20 ms ahead.
  assert.equal(accepted, 3);
  assert.equal(s.drops, 97);
  assert.ok(s.queuedMs(0, 0) <= 30);
});

const MODES: SchedulerMode[] = ["aggregate", "pinned", "redundant", "failover"];

Deno.test("a down path gets nothing in any mode", () => {
  for (const mode of MODES) {
    const t = profileA();
    // The fastest, lowest-delay, first-configured path: every mode's favourite.
    t.set(0, { state: PATH_DOWN });
    const s = createScheduler(mode, t);
    const rnd = new TestRandom(5);
    for (let i = 0; i < 5000; i++) {
      const mask = s.pick(i, 1250, rnd.int(2 ** 32)); // 10 Mbit/s: room on the two left
      assert.equal(mask & 0b001, 0, `${mode} sent on the down path`);
      assert.notEqual(mask, 0, `${mode} dropped with two paths up`);
    }
  }
});

Deno.test("with every path down, every mode drops and counts it", () => {
  for (const mode of MODES) {
    const t = new PathTable(2);
    const s = createScheduler(mode, t);
    assert.equal(s.pick(0, 100, 1), 0);
    assert.equal(s.drops, 1, mode);
  }
});

Deno.test("degraded paths are used only when no path is up, except by redundant mode", () => {
  for (const mode of MODES) {
    const t = profileA();
    t.set(0, { state: PATH_DEGRADED });
    const s = createScheduler(mode, t);
    const mask = s.pick(0, 100, 7);
    if (mode === "redundant") assert.equal(mask, 0b111);
    else assert.equal(mask & 0b001, 0, `${mode} used the degraded path`);
    t.set(1, { state: PATH_DOWN });
    t.set(2, { state: PATH_DOWN });
    assert.equal(s.pick(1, 100, 7), 0b001, `${mode} falls back to the degraded path`);
  }
});

Deno.test("redundant mode sends every packet on every live path", () => {
  const t = profileA();
  const s = createScheduler("redundant", t);
  assert.equal(s.pick(0, 100, 0), 0b111);
  t.set(2, { state: PATH_DOWN });
  assert.equal(s.pick(0, 100, 0), 0b011);
});

/**
 * Offers `mbps` of 1250-byte packets to a redundant scheduler for one second from `from` ms and
 * returns the second-copy mask of the last packet.
 */
function redundantAgain(s: ReturnType<typeof createScheduler>, mbps: number, from = 0): number {
  const gap = (1250 / (mbps * MBIT)) * 1000;
  let mask = 0;
  for (let now = from; now < from + 1000; now += gap) mask = s.pick(now, 1250, 0);
  assert.notEqual(mask, 0);
  return s.again;
}

Deno.test("redundant mode adds second copies when one per path leaves more than 0.1 % lost", () => {
  // Profile C: 50 and 25 Mbit/s, each losing 5 %: one copy each leaves 0.25 %.
  const t = new PathTable(2);
  t.set(0, { state: PATH_UP, rate: 50 * MBIT, owd: 5, loss: 0.05 });
  t.set(1, { state: PATH_UP, rate: 25 * MBIT, owd: 120, loss: 0.04 });
  const s = createScheduler("redundant", t);
  assert.equal(s.pick(0, 1250, 0), 0b11);
  assert.equal(redundantAgain(s, 5), 0b10, "the least lossy path with room: 0.05 x 0.04 x 0.04");
  // Traffic that two copies would push past 80 % of the slower path: only the faster one.
  assert.equal(redundantAgain(s, 12, 1000), 0b01);
  // ...and past 80 % of both: none (a second copy must not fill the path).
  assert.equal(redundantAgain(s, 24, 2000), 0);
  // Back to light traffic: the copies return with the next whole window.
  assert.equal(redundantAgain(s, 5, 3000), 0b10);
  // Losses that one copy per path covers: none.
  t.set(0, { loss: 0.02 });
  assert.equal(redundantAgain(s, 5, 4000), 0, "0.02 x 0.04 = 0.08 %");
  // Heavy loss: a second copy everywhere there is room, even if that is still not enough.
  t.set(0, { loss: 0.3 });
  t.set(1, { loss: 0.3 });
  assert.equal(redundantAgain(s, 5, 5000), 0b11);
  // A path that is down carries neither copy.
  t.set(1, { state: PATH_DOWN });
  assert.equal(s.pick(6000, 1250, 0), 0b01);
  assert.equal(s.again, 0b01);
  // Three paths losing 5 % each are enough on their own.
  const three = profileA();
  for (let p = 0; p < 3; p++) three.set(p, { loss: 0.05 });
  assert.equal(redundantAgain(createScheduler("redundant", three), 5), 0);
});

Deno.test("only redundant mode sends second copies", () => {
  for (const mode of ["aggregate", "pinned", "failover"] as const) {
    const t = profileA();
    for (let p = 0; p < 3; p++) t.set(p, { loss: 0.3 });
    const s = createScheduler(mode, t);
    for (let now = 0; now < 100; now++) s.pick(now, 1250, now);
    assert.equal(s.again, 0, mode);
  }
});

Deno.test("failover uses the first up path in configured order and returns to it", () => {
  const t = profileA();
  const s = createScheduler("failover", t);
  assert.equal(s.pick(0, 100, 0), 0b001);
  t.set(0, { state: PATH_DOWN });
  assert.equal(s.pick(1, 100, 0), 0b010);
  t.set(1, { state: PATH_DOWN });
  assert.equal(s.pick(2, 100, 0), 0b100);
  t.set(0, { state: PATH_UP });
  assert.equal(s.pick(3, 100, 0), 0b001);
});

Deno.test("pinned mode keeps each flow on one path and shares flows by weight", () => {
  const t = profileA();
  t.set(0, { weight: 1 });
  t.set(1, { weight: 2 });
  t.set(2, { weight: 1 });
  const s = createScheduler("pinned", t);
  const rnd = new TestRandom(9);
  const counts = [0, 0, 0];
  const flows = 20_000;
  for (let f = 0; f < flows; f++) {
    const hash = rnd.int(2 ** 32);
    const p = maskToPath(s.pick(0, 100, hash));
    counts[p]++;
    assert.equal(maskToPath(s.pick(1, 1400, hash)), p, "same flow, same path");
  }
  [0.25, 0.5, 0.25].forEach((want, p) => {
    assert.ok(Math.abs(counts[p] / flows - want) < 0.02, `path ${p}: ${counts[p]} flows`);
  });
});

/** Pinned mode over profile A, `count` random flows, and the path each of them takes now. */
function pinnedFlows(seed: number, count: number) {
  const t = profileA();
  const s = createScheduler("pinned", t);
  const rnd = new TestRandom(seed);
  const hashes = Array.from({ length: count }, () => rnd.int(2 ** 32));
  const paths = (now: number) => hashes.map((h) => maskToPath(s.pick(now, 100, h)));
  return { t, paths };
}

Deno.test("pinned mode moves only the flows of a path that leaves, and they come back", () => {
  const { t, paths } = pinnedFlows(10, 5000);
  const before = paths(0);
  t.set(1, { state: PATH_DOWN });
  const during = paths(0);
  let moved = 0;
  before.forEach((p, i) => {
    if (p !== 1) assert.equal(during[i], p, "a flow on a surviving path moved");
    else moved++;
  });
  assert.ok(moved > 1000, "path 1 had flows to move");
  t.set(1, { state: PATH_UP });
  assert.deepEqual(paths(0), before);
});

Deno.test("pinned mode keeps the flows of a degraded path there", () => {
  // A single TCP flow on the slowest path overflows its queue at start: 10 % loss and more for
  // a moment, which is its own doing, and moving every flow of that path would not help them.
  const { t, paths } = pinnedFlows(11, 2000);
  const before = paths(0);
  assert.ok(before.filter((p) => p === 2).length > 200, "path 2 has flows");
  t.set(2, { state: PATH_DEGRADED, loss: 0.2 });
  assert.deepEqual(paths(1), before);
  // Down, they move; every path degraded, they stay where they were.
  t.set(2, { state: PATH_DOWN });
  assert.ok(paths(2).every((p) => p !== 2));
  for (let p = 0; p < 3; p++) t.set(p, { state: PATH_DEGRADED });
  assert.deepEqual(paths(3), before);
});

Deno.test("pinned hashing follows the path's id, not its table index", () => {
  const a = profileA();
  const b = profileA();
  // The same three links, listed in another order.
  b.set(0, { id: 2, rate: 10 * MBIT });
  b.set(2, { id: 0, rate: 40 * MBIT });
  const sa = createScheduler("pinned", a);
  const sb = createScheduler("pinned", b);
  const rnd = new TestRandom(12);
  for (let i = 0; i < 1000; i++) {
    const h = rnd.int(2 ** 32);
    assert.equal(a.id[maskToPath(sa.pick(0, 1, h))], b.id[maskToPath(sb.pick(0, 1, h))]);
  }
});

Deno.test("createScheduler refuses an unknown mode, and the path table its size", () => {
  assert.throws(() => createScheduler("fastest" as SchedulerMode, profileA()), /unknown/);
  assert.throws(() => new PathTable(33), /1..32/);
  assert.throws(() => new AggregateScheduler(profileA(), { probeGain: 2 }), /probeGain/);
});
