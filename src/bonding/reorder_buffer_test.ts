import assert from "node:assert/strict";
import { ReorderBuffer, type ReorderBufferOptions } from "./reorder_buffer.ts";
import { TestRandom } from "./test_random.ts";

/**
 * The reorder rules written the obvious way: a map of waiting packets searched in full at every
 * step. Slow and allocating, hard to get wrong; the real buffer must release exactly what this
 * releases, in the same order.
 */
class NaiveReorder {
  next = 0;
  released: number[] = [];
  skipped = 0;
  lost = 0;
  late = 0;
  lateReleased = 0;
  /** Counters passed on late, out of order. */
  readonly lateCounters: number[] = [];
  duplicate = 0;
  oversize = 0;
  timeoutMs: number;
  activeMask: number;
  readonly waiting = new Map<number, { arrival: number; length: number }>();
  readonly highest: number[];
  readonly lastArrival: number[];
  /** By counter % capacity: the last counter given up there, and when (NaN: not by timeout). */
  readonly given = new Map<number, { counter: number; at: number }>();
  extraMs = 0;
  extraSince = 0;

  constructor(readonly o: Required<ReorderBufferOptions>) {
    this.timeoutMs = o.timeoutMs;
    this.activeMask = (1 << o.paths) - 1;
    this.highest = new Array(o.paths).fill(-1);
    this.lastArrival = new Array(o.paths).fill(-Infinity);
  }

  push(now: number, counter: number, path: number, length: number): void {
    this.highest[path] = Math.max(this.highest[path], counter);
    this.lastArrival[path] = Math.max(this.lastArrival[path], now);
    if (counter < this.next) {
      this.late++;
      const g = this.given.get(counter % this.o.capacity);
      if (g?.counter !== counter) return;
      this.given.delete(counter % this.o.capacity);
      if (now - g.at >= 0) {
        this.extraMs = Math.min(this.o.maxExtraMs, this.extra(now) + now - g.at);
        this.extraSince = now;
      }
      if (length > 0) {
        this.released.push(counter);
        this.lateCounters.push(counter);
        this.lateReleased++;
      }
      return;
    }
    const target = counter - this.o.capacity + 1;
    while (this.next < target) {
      if (this.waiting.size === 0) {
        this.lost += target - this.next;
        this.next = target;
        break;
      }
      if (this.take()) this.next++;
      else this.giveUp(NaN);
    }
    if (this.waiting.has(counter)) {
      this.duplicate++;
      return;
    }
    if (counter !== this.next && length > this.o.slotBytes) {
      this.oversize++;
      return;
    }
    this.waiting.set(counter, { arrival: now, length });
    this.drain(now);
  }

  /** Releases (or skips, for length 0) the head if it waits; false if it is missing. */
  take(): boolean {
    const w = this.waiting.get(this.next);
    if (!w) return false;
    this.waiting.delete(this.next);
    if (w.length > 0) this.released.push(this.next);
    else this.skipped++;
    return true;
  }

  extra(now: number): number {
    if (this.extraMs === 0) return 0;
    const halvings = Math.floor(Math.max(0, now - this.extraSince) / this.o.extraHalfLifeMs);
    return halvings >= 30 ? 0 : this.extraMs / 2 ** halvings;
  }

  giveUp(at: number): void {
    this.given.set(this.next % this.o.capacity, { counter: this.next, at });
    this.lost++;
    this.next++;
  }

  drain(now: number): void {
    while (true) {
      if (this.take()) {
        this.next++;
        continue;
      }
      if (this.waiting.size === 0) return;
      const oldest = Math.min(...[...this.waiting.values()].map((w) => w.arrival));
      let allPassed = true;
      for (let p = 0; p < this.o.paths; p++) {
        const active = (this.activeMask >> p) & 1 &&
          now - this.lastArrival[p] <= this.o.pathIdleMs;
        if (active && !(this.highest[p] > this.next)) allPassed = false;
      }
      if (allPassed) {
        this.giveUp(NaN);
        continue;
      }
      if (now - oldest >= this.timeoutMs + this.extra(now)) {
        this.giveUp(now);
        continue;
      }
      return;
    }
  }
}

interface Arrival {
  at: number;
  counter: number;
  path: number;
  length: number;
}

/** One synthetic run: paths with their own delay and jitter, loss, duplicates, reordering. */
function scenario(rnd: TestRandom, packets: number, slotBytes: number): Arrival[] {
  const paths = 1 + rnd.int(4);
  const delay = Array.from({ length: paths }, () => rnd.int(60));
  const jitter = Array.from({ length: paths }, () => rnd.int(10));
  const fifo = rnd.chance(0.5); // half the runs keep each path in order, half let jitter reorder
  const loss = rnd.next() * 0.1;
  const dup = rnd.chance(0.3) ? rnd.next() * 0.5 : 0;
  const last = new Array(paths).fill(0);
  const out: Arrival[] = [];
  let t = 0;
  for (let c = 0; c < packets; c++) {
    t += rnd.next();
    // Now and then one too big to buffer, or an empty one (a keepalive or control frame).
    const length = rnd.chance(0.01)
      ? slotBytes + 1
      : rnd.chance(0.05)
      ? 0
      : 8 + rnd.int(slotBytes - 8);
    const copies = paths > 1 && rnd.chance(dup) ? 2 : 1;
    const first = rnd.int(paths);
    for (let k = 0; k < copies; k++) {
      const p = (first + k) % paths;
      if (rnd.chance(loss)) continue;
      let at = t + delay[p] + rnd.next() * jitter[p];
      if (fifo) at = Math.max(at, last[p]);
      last[p] = at;
      out.push({ at, counter: c, path: p, length });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** Runs a scenario through both, with a tick every millisecond; returns what it saw. */
function compare(seed: number): { releaseWaits: number[]; buffer: ReorderBuffer } {
  const rnd = new TestRandom(seed);
  const options: Required<ReorderBufferOptions> = {
    capacity: 16 + rnd.int(512),
    slotBytes: 64,
    paths: 4,
    timeoutMs: rnd.int(80),
    pathIdleMs: 20 + rnd.int(200),
    maxExtraMs: rnd.int(120),
    extraHalfLifeMs: 50 + rnd.int(2000),
  };
  const arrivals = scenario(rnd, 3000, options.slotBytes);
  const released: number[] = [];
  const arrivedAt = new Map<number, number>();
  const releaseWaits: number[] = [];
  let now = 0;
  const buffer = new ReorderBuffer(options, (buf, offset, length) => {
    const counter = new DataView(buf.buffer, buf.byteOffset + offset, length).getUint32(0);
    assert.equal(buf[offset + length - 1], counter & 0xff, "payload intact");
    released.push(counter);
    releaseWaits.push(now - arrivedAt.get(counter)!);
  });
  const model = new NaiveReorder(options);
  const packet = new Uint8Array(options.slotBytes + 1);
  let i = 0;
  const end = arrivals[arrivals.length - 1].at + 1000;
  for (let ms = 0; ms <= end; ms++) {
    while (i < arrivals.length && arrivals[i].at <= ms) {
      const a = arrivals[i++];
      now = a.at;
      new DataView(packet.buffer).setUint32(0, a.counter);
      if (a.length > 0) packet[a.length - 1] = a.counter & 0xff;
      if (!arrivedAt.has(a.counter)) arrivedAt.set(a.counter, now);
      buffer.push(now, a.counter, a.path, packet, 0, a.length);
      model.push(now, a.counter, a.path, a.length);
    }
    now = ms;
    if (rnd.chance(0.002)) {
      // The control plane retunes the timeout or marks a path down now and then.
      buffer.timeoutMs = model.timeoutMs = rnd.int(80);
      buffer.activeMask = model.activeMask = rnd.int(16);
    }
    buffer.tick(ms);
    model.drain(ms);
    assert.ok(buffer.stats.buffered <= options.capacity, "memory bound");
  }
  assert.deepEqual(released, model.released, `seed ${seed}: release order`);
  const s = buffer.stats;
  assert.deepEqual(
    [s.lost, s.late, s.lateReleased, s.duplicate, s.oversize, s.skipped],
    [model.lost, model.late, model.lateReleased, model.duplicate, model.oversize, model.skipped],
    `seed ${seed}: counts`,
  );
  assert.equal(s.buffered, 0, `seed ${seed}: everything left in the end`);
  assert.equal(
    s.released + s.skipped + s.lost,
    buffer.next,
    `seed ${seed}: each counter released, skipped or lost`,
  );
  // In order, apart from the packets passed on late (each once, after its gap was given up).
  const late = new Set(model.lateCounters);
  assert.equal(late.size, model.lateCounters.length, "each passed on late once");
  const inOrder = released.filter((c) => !late.has(c));
  for (let k = 1; k < inOrder.length; k++) assert.ok(inOrder[k] > inOrder[k - 1]);
  return { releaseWaits, buffer };
}

Deno.test("reorder buffer releases exactly what a naive sorted-map model releases (fuzz)", () => {
  let lost = 0, late = 0, lateReleased = 0, dup = 0, overflows = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const { buffer } = compare(seed);
    lost += buffer.stats.lost;
    late += buffer.stats.late;
    lateReleased += buffer.stats.lateReleased;
    dup += buffer.stats.duplicate;
    overflows += buffer.stats.overflows;
  }
  // The runs must actually exercise every rule.
  assert.ok(
    lost > 0 && late > 0 && lateReleased > 0 && dup > 0 && overflows > 0,
    `${lost} ${late} ${lateReleased} ${dup} ${overflows}`,
  );
});

Deno.test("reorder buffer never holds a packet longer than its timeout", () => {
  for (let seed = 100; seed < 130; seed++) {
    const rnd = new TestRandom(seed);
    const options = { capacity: 4096, slotBytes: 64, paths: 4, timeoutMs: 40, maxExtraMs: 30 };
    const arrivals = scenario(rnd, 3000, 64);
    let now = 0;
    let worst = 0;
    const arrival = new Map<number, number>();
    const buffer = new ReorderBuffer(options, (buf, offset) => {
      const c = new DataView(buf.buffer, buf.byteOffset + offset).getUint32(0);
      worst = Math.max(worst, now - arrival.get(c)!);
    });
    const packet = new Uint8Array(64);
    let i = 0;
    for (let ms = 0; i < arrivals.length || buffer.stats.buffered > 0; ms++) {
      while (i < arrivals.length && arrivals[i].at <= ms) {
        const a = arrivals[i++];
        now = a.at;
        new DataView(packet.buffer).setUint32(0, a.counter);
        if (!arrival.has(a.counter)) arrival.set(a.counter, now);
        buffer.push(now, a.counter, a.path, packet, 0, Math.min(a.length, 64));
      }
      now = ms;
      buffer.tick(ms);
      assert.ok(ms < 10_000, "bounded run");
    }
    // Ticks run each millisecond, so a release can be up to 1 ms after the deadline; late
    // arrivals may have added up to maxExtraMs to the timeout.
    assert.ok(
      worst <= options.timeoutMs + options.maxExtraMs + 1,
      `seed ${seed}: a packet waited ${worst} ms`,
    );
    const st = buffer.stats;
    assert.equal(st.released + st.skipped + st.lost, buffer.next);
  }
});

function collector() {
  const out: number[] = [];
  const release = (buf: Uint8Array, offset: number) => out.push(buf[offset]);
  return { out, release };
}

function pkt(counter: number): Uint8Array {
  return Uint8Array.of(counter & 0xff, 0, 0, 0);
}

Deno.test("in-order packets pass straight through from the caller's buffer", () => {
  const seen: Uint8Array[] = [];
  const buffer = new ReorderBuffer(
    { capacity: 8, slotBytes: 16, paths: 1 },
    (buf) => seen.push(buf),
  );
  const p = pkt(0);
  buffer.push(0, 0, 0, p, 0, 4);
  assert.equal(seen[0], p, "no copy");
  assert.equal(buffer.stats.maxBuffered, 0);
});

Deno.test("a gap is given up as soon as every active path has delivered past it", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer(
    { capacity: 64, slotBytes: 16, paths: 2, timeoutMs: 1000 },
    release,
  );
  buffer.push(0, 0, 0, pkt(0), 0, 4);
  buffer.push(1, 2, 0, pkt(2), 0, 4); // 1 missing; path 1 has delivered nothing yet
  buffer.push(2, 3, 1, pkt(3), 0, 4); // path 1 active now, but path 0 has only reached 2 > 1
  assert.deepEqual(out, [0, 2, 3], "both active paths are past 1: lost at once");
  assert.equal(buffer.stats.lost, 1);
  buffer.push(3, 6, 0, pkt(6), 0, 4); // 4 and 5 missing; path 1 has only reached 3
  assert.deepEqual(out, [0, 2, 3]);
  buffer.push(4, 5, 1, pkt(5), 0, 4); // path 1 passes 4: 4 lost, 5 and 6 released
  assert.deepEqual(out, [0, 2, 3, 5, 6]);
  assert.equal(buffer.stats.lost, 2);
});

Deno.test("a gap waits for a slower path until the timeout, then releases what waited", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer(
    { capacity: 64, slotBytes: 16, paths: 2, timeoutMs: 30 },
    release,
  );
  buffer.push(0, 0, 1, pkt(0), 0, 4);
  buffer.push(1, 1, 0, pkt(1), 0, 4);
  buffer.push(2, 3, 0, pkt(3), 0, 4); // 2 is on the slow path 1, which has only reached 0
  buffer.tick(20);
  assert.deepEqual(out, [0, 1]);
  assert.equal(buffer.nextDeadline(), 32);
  buffer.tick(32);
  assert.deepEqual(out, [0, 1, 3]);
  assert.equal(buffer.nextDeadline(), Infinity);
  buffer.push(40, 2, 1, pkt(2), 0, 4);
  assert.equal(buffer.stats.late, 1);
  assert.deepEqual(out, [0, 1, 3, 2], "after its gap was given up, 2 is passed on late");
  assert.equal(buffer.stats.lateReleased, 1);
  // It came 8 ms after its gap was given up (at 32): the next gap waits 30 + 8 ms.
  assert.equal(buffer.extraAt(40), 8);
  buffer.push(41, 4, 0, pkt(4), 0, 4);
  buffer.push(42, 6, 0, pkt(6), 0, 4); // 5 missing, path 1 behind
  buffer.tick(42 + 30);
  assert.deepEqual(out, [0, 1, 3, 2, 4], "not yet: 30 + 8 ms");
  buffer.tick(42 + 38);
  assert.deepEqual(out, [0, 1, 3, 2, 4, 6]);
  // A second copy of 2 is dropped; the added wait halves every extraHalfLifeMs.
  buffer.push(81, 2, 1, pkt(2), 0, 4);
  assert.deepEqual(out, [0, 1, 3, 2, 4, 6]);
  assert.equal(buffer.extraAt(40 + 10_000), 4);
  assert.equal(buffer.extraAt(40 + 20_000), 2);
});

Deno.test("a path marked inactive or silent no longer holds a gap open", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer(
    { capacity: 64, slotBytes: 16, paths: 2, timeoutMs: 1000, pathIdleMs: 100 },
    release,
  );
  buffer.push(0, 0, 1, pkt(0), 0, 4);
  buffer.push(1, 2, 0, pkt(2), 0, 4);
  buffer.tick(50);
  assert.deepEqual(out, [0], "path 1 is still active and has not passed 1");
  buffer.tick(101);
  assert.deepEqual(out, [0, 2], "path 1 silent for 101 ms");
  buffer.push(102, 3, 1, pkt(3), 0, 4);
  buffer.push(103, 5, 0, pkt(5), 0, 4);
  assert.deepEqual(out, [0, 2, 3]);
  buffer.activeMask = 0b01; // the control plane knows path 1 is down
  buffer.tick(104);
  assert.deepEqual(out, [0, 2, 3, 5]);
});

Deno.test("duplicates of buffered packets are dropped, and memory stays bounded on overflow", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer(
    { capacity: 4, slotBytes: 16, paths: 2, timeoutMs: 1000 },
    release,
  );
  buffer.reset(10);
  // Path 1 is active but behind everything, so gaps are held open (until overflow).
  buffer.push(0, 5, 1, pkt(5), 0, 4);
  buffer.push(0, 12, 0, pkt(12), 0, 4);
  buffer.push(0, 12, 0, pkt(12), 0, 4);
  assert.equal(buffer.stats.duplicate, 1);
  buffer.push(1, 13, 0, pkt(13), 0, 4);
  assert.deepEqual(out, []);
  // 15 does not fit the window [10, 14): 10 and 11 are given up, 12 and 13 come out.
  buffer.push(2, 15, 0, pkt(15), 0, 4);
  assert.deepEqual(out, [12, 13]);
  assert.equal(buffer.next, 14);
  assert.equal(buffer.stats.overflows, 1);
  // A jump far ahead empties the buffer and skips the hole in one step.
  buffer.push(3, 1_000_000, 0, pkt(64), 0, 4);
  assert.deepEqual(out, [12, 13, 15]);
  assert.equal(buffer.stats.buffered, 1);
  assert.equal(buffer.stats.maxBuffered, 3, "12, 13 and 15 at once: within capacity 4");
  assert.equal(buffer.stats.released + buffer.stats.lost, buffer.next - 10);
});

Deno.test("empty packets (keepalives, control frames) fill their place without a release", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer(
    { capacity: 16, slotBytes: 16, paths: 2, timeoutMs: 1000 },
    release,
  );
  buffer.reset(6);
  buffer.push(0, 5, 1, pkt(0), 0, 0); // path 1 is active and behind: gaps wait
  buffer.push(1, 7, 0, pkt(7), 0, 4);
  assert.deepEqual(out, []);
  buffer.push(2, 6, 0, pkt(0), 0, 0); // a control frame had counter 6
  assert.deepEqual(out, [7], "released without waiting for a timeout");
  buffer.push(3, 8, 0, pkt(0), 0, 0);
  assert.deepEqual(out, [7]);
  assert.equal(buffer.stats.skipped, 2);
});

Deno.test("flush and reset hand over to a new keypair's counters", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer({ capacity: 16, slotBytes: 16, paths: 1 }, release);
  buffer.push(0, 0, 0, pkt(0), 0, 4);
  buffer.push(0, 3, 0, pkt(3), 0, 4);
  buffer.push(0, 5, 0, pkt(5), 0, 4);
  buffer.reset(0);
  assert.deepEqual(out, [0, 3, 5]);
  buffer.push(1, 0, 0, pkt(100), 0, 4);
  assert.deepEqual(out, [0, 3, 5, 100]);
});

Deno.test("oversize and bad-path packets are counted and dropped", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer({ capacity: 16, slotBytes: 4, paths: 2 }, release);
  buffer.push(0, 0, 0, new Uint8Array(100), 0, 100); // in order: no slot needed
  buffer.push(0, 2, 0, new Uint8Array(100), 0, 100);
  buffer.push(0, 3, 2, pkt(3), 0, 4);
  buffer.push(0, 3, -1, pkt(3), 0, 4);
  assert.equal(out.length, 1);
  assert.equal(buffer.stats.oversize, 1);
  assert.equal(buffer.stats.badPath, 2);
  assert.throws(() => new ReorderBuffer({ capacity: 0, slotBytes: 4, paths: 1 }, release));
  assert.throws(() => new ReorderBuffer({ capacity: 4, slotBytes: 4, paths: 33 }, release));
});

Deno.test("a passed counter fills its place ahead, and behind the head is neither loss nor lateness", () => {
  const { out, release } = collector();
  const buffer = new ReorderBuffer(
    { capacity: 64, slotBytes: 16, paths: 2, timeoutMs: 30 },
    release,
  );
  buffer.push(0, 0, 1, pkt(0), 0, 4);
  buffer.push(1, 2, 0, pkt(2), 0, 4); // 1 is a split packet on path 1, not here yet
  assert.deepEqual(out, [0]);
  buffer.pass(2, 1, 1); // it arrives: its place is filled, 2 follows
  assert.deepEqual(out, [0, 2]);
  assert.equal(buffer.stats.skipped, 1);
  assert.equal(buffer.stats.lost, 0);

  buffer.push(3, 4, 0, pkt(4), 0, 4); // 3 is a split packet too, slower
  buffer.tick(3 + 30); // timed out: given up
  assert.deepEqual(out, [0, 2, 4]);
  assert.equal(buffer.stats.lost, 1);
  buffer.pass(50, 3, 1); // it was no loss, and says nothing about the timeout
  assert.equal(buffer.stats.lost, 0);
  assert.equal(buffer.stats.late, 0);
  assert.equal(buffer.extraAt(50), 0);
  // A data packet arriving as late still teaches the timeout.
  buffer.push(51, 6, 0, pkt(6), 0, 4);
  buffer.tick(51 + 30);
  buffer.push(90, 5, 1, pkt(5), 0, 4);
  assert.equal(buffer.stats.late, 1);
  assert.equal(buffer.extraAt(90), 9);
});
