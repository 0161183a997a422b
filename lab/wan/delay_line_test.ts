import assert from "node:assert/strict";
import { DelayLine, type DirectionStats, type PacketOutput } from "./delay_line.ts";
import { seededRandom } from "./seeded_random.ts";
import { DEFAULT_DIRECTION, type DirectionSettings } from "./wan_settings.ts";

/** Records what the line writes: the first byte of each packet tags it. */
class Capture implements PacketOutput {
  packets: { tag: number; length: number; at: number }[] = [];
  now = 0;
  fail = false;
  write(buf: Uint8Array, length: number): number {
    if (this.fail) return -5;
    this.packets.push({ tag: buf[0], length, at: this.now });
    return length;
  }
}

function line(settings: Partial<DirectionSettings>, slots = 256, seed = 1): DelayLine {
  const l = new DelayLine({ slots, slotSize: 1500, random: seededRandom(seed) });
  l.configure({ ...DEFAULT_DIRECTION, ...settings });
  return l;
}

function offer(l: DelayLine, now: number, tag: number, length = 100): boolean {
  const buf = l.nextBuffer();
  if (buf === null) {
    l.overflow();
    return false;
  }
  buf[0] = tag;
  l.admit(now, length);
  return true;
}

/** Advances time in steps of `stepMs` until `untilMs`, releasing into `out`. */
function run(l: DelayLine, out: Capture, untilMs: number, stepMs = 0.01): void {
  for (let t = out.now; t <= untilMs + 1e-9; t += stepMs) {
    out.now = t;
    l.release(t, out);
  }
}

function accounted(s: DirectionStats): number {
  return s.delivered + s.lostDown + s.lostRandom + s.lostQueue + s.lostOverflow + s.writeErrors +
    s.held;
}

Deno.test("a packet leaves exactly its delay after it arrived", () => {
  const l = line({ delayMs: 30 });
  const out = new Capture();
  offer(l, 5, 1);
  assert.equal(l.nextRelease(), 35);
  assert.equal(l.release(34.99, out), 0);
  assert.equal(l.release(35, out), 1);
  assert.deepEqual(out.packets.map((p) => p.tag), [1]);
  assert.equal(l.stats.delivered, 1);
  assert.equal(l.stats.deliveredBytes, 100);
  assert.equal(l.stats.held, 0);
  assert.equal(l.nextRelease(), Infinity);
});

Deno.test("the rate limit spaces packets by their size over the rate", () => {
  // 1 Mbit/s = 125 bytes/ms: a 1250-byte packet takes 10 ms.
  const l = line({ rateMbps: 1, delayMs: 5, queueMs: 1000 });
  const out = new Capture();
  for (let i = 0; i < 5; i++) offer(l, 0, i, 1250);
  run(l, out, 60, 0.5);
  assert.deepEqual(out.packets.map((p) => p.at), [15, 25, 35, 45, 55]);
  assert.deepEqual(out.packets.map((p) => p.tag), [0, 1, 2, 3, 4]);
});

Deno.test("an idle rate-limited link sends the next packet without waiting for the past", () => {
  const l = line({ rateMbps: 1, queueMs: 1000 });
  const out = new Capture();
  offer(l, 0, 1, 125); // busy until 1 ms
  offer(l, 100, 2, 125); // link idle since 1 ms: done at 101
  run(l, out, 110, 0.5);
  assert.deepEqual(out.packets.map((p) => p.at), [1, 101]);
});

Deno.test("a full queue drops the tail", () => {
  // 1 Mbit/s with a 5000-byte queue: four 1250-byte packets fit behind each other, not five.
  const l = line({ rateMbps: 1, queueBytes: 5000 });
  for (let i = 0; i < 10; i++) offer(l, 0, i, 1250);
  assert.equal(l.stats.lostQueue, 6);
  assert.equal(l.stats.held, 4);
  const out = new Capture();
  run(l, out, 50, 1);
  assert.deepEqual(out.packets.map((p) => p.tag), [0, 1, 2, 3]);
  // The queue drained: room again.
  offer(l, 50, 10, 1250);
  assert.equal(l.stats.held, 1);
});

Deno.test("a queue given in ms holds that long at the link rate", () => {
  // 8 Mbit/s = 1000 bytes/ms; 10 ms of queue = 10 000 bytes = ten 1000-byte packets.
  const l = line({ rateMbps: 8, queueMs: 10 });
  for (let i = 0; i < 20; i++) offer(l, 0, i, 1000);
  assert.equal(l.stats.held, 10);
  assert.equal(l.stats.lostQueue, 10);
});

Deno.test("jitter spreads delays within its bounds and keeps packet order", () => {
  const l = line({ delayMs: 50, jitterMs: 20 }, 4096);
  const out = new Capture();
  // One packet every 10 ms, less than the 40 ms jitter range: without the order rule later
  // packets would overtake earlier ones.
  for (let i = 0; i < 1000; i++) {
    offer(l, i * 10, i & 0xff);
    run(l, out, i * 10, 0.25);
  }
  run(l, out, 10_100, 0.25);
  assert.equal(out.packets.length, 1000);
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < out.packets.length; i++) {
    assert.equal(out.packets[i].tag, i & 0xff, `packet ${i} out of order`);
    const delay = out.packets[i].at - i * 10;
    min = Math.min(min, delay);
    max = Math.max(max, delay);
  }
  assert.ok(min >= 30 - 0.25 && min < 33, `min delay ${min}`);
  assert.ok(max <= 70 + 0.25 && max > 67, `max delay ${max}`);
});

Deno.test("with reorder, jitter lets packets overtake", () => {
  const l = line({ delayMs: 50, jitterMs: 20, reorder: true }, 4096);
  const out = new Capture();
  for (let i = 0; i < 200; i++) offer(l, i, i);
  run(l, out, 300, 0.1);
  const tags = out.packets.map((p) => p.tag);
  assert.equal(tags.length, 200);
  assert.notDeepEqual(tags, [...tags].sort((a, b) => a - b), "some packets overtook others");
});

Deno.test("down drops arrivals and packets in flight; up restores", () => {
  const l = line({ delayMs: 10 });
  const out = new Capture();
  offer(l, 0, 1);
  l.configure({ ...l.settings, down: true });
  offer(l, 1, 2);
  run(l, out, 20, 1);
  assert.equal(out.packets.length, 0);
  assert.equal(l.stats.lostDown, 2);
  l.configure({ ...l.settings, down: false });
  offer(l, 20, 3);
  run(l, out, 40, 1);
  assert.deepEqual(out.packets.map((p) => p.tag), [3]);
});

Deno.test("random loss drops its share of packets", () => {
  const l = line({ lossPercent: 5 }, 16);
  const out = new Capture();
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    offer(l, i, 0);
    l.release(i, out);
  }
  const share = l.stats.lostRandom / n;
  assert.ok(Math.abs(share - 0.05) < 0.004, `lost ${share}`);
  assert.equal(out.packets.length, n - l.stats.lostRandom);
});

Deno.test("a full pool counts overflow instead of failing", () => {
  const l = line({ delayMs: 100 }, 4);
  for (let i = 0; i < 6; i++) offer(l, 0, i);
  assert.equal(l.stats.held, 4);
  assert.equal(l.stats.lostOverflow, 2);
  assert.equal(l.nextBuffer(), null);
});

Deno.test("failed writes are counted and free the slot", () => {
  const l = line({}, 2);
  const out = new Capture();
  out.fail = true;
  offer(l, 0, 1);
  l.release(0, out);
  assert.equal(l.stats.writeErrors, 1);
  assert.equal(l.stats.held, 0);
  assert.notEqual(l.nextBuffer(), null);
});

Deno.test("every packet offered is accounted for exactly once", () => {
  const l = line(
    { rateMbps: 2, delayMs: 7, jitterMs: 3, lossPercent: 3, burstLength: 3, queueMs: 20 },
    64,
    5,
  );
  const out = new Capture();
  const random = seededRandom(11);
  let now = 0;
  for (let i = 0; i < 50_000; i++) {
    now += random() * 0.4;
    if (i === 20_000) l.configure({ ...l.settings, down: true });
    if (i === 21_000) l.configure({ ...l.settings, down: false, delayMs: 1 });
    offer(l, now, 0, 60 + Math.floor(random() * 1400));
    l.release(now, out);
    assert.equal(accounted(l.stats), l.stats.received);
  }
  for (const key of ["lostDown", "lostRandom", "lostQueue", "delivered"] as const) {
    assert.ok(l.stats[key] > 0, `${key} was exercised`);
  }
});
