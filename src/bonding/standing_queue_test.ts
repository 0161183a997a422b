import assert from "node:assert/strict";
import { StandingQueue, WINDOW_MS } from "./standing_queue.ts";

// Delays are in the two clocks' difference: any constant offset (here 5000 ms) cancels.
const OFFSET = 5000;

Deno.test("standing queue: the lowest delay over the interval, above the window's lowest", () => {
  const q = new StandingQueue();
  assert.equal(q.take(), 0, "nothing seen: no queue");
  q.add(0, OFFSET + 10);
  assert.equal(q.take(), 0, "the first delay is the base");
  // The queue builds: 40, 55, 50 ms above the base; the lowest of them stood all along.
  for (const [t, d] of [[25, 50], [50, 65], [75, 60]]) q.add(t, OFFSET + d);
  assert.equal(q.take(), 40);
  assert.equal(q.baseMs, OFFSET + 10);
  // A burst (one packet 30 ms late among ones at the base) is no standing queue.
  for (const [t, d] of [[100, 10], [125, 40], [150, 11]]) q.add(t, OFFSET + d);
  assert.equal(q.take(), 0);
  // restart forgets the interval so far.
  q.add(175, OFFSET + 80);
  q.restart();
  q.add(200, OFFSET + 30);
  assert.equal(q.take(), 20);
});

Deno.test("standing queue: a base delay that rose is the base within the window", () => {
  const q = new StandingQueue();
  q.add(0, OFFSET + 10);
  q.take();
  // The path's delay rises to 70 ms (a new route) and stays there.
  let t = 0;
  const readings: number[] = [];
  for (t = 100; t <= 2 * WINDOW_MS; t += 100) {
    q.add(t, OFFSET + 70);
    readings.push(q.take());
  }
  assert.equal(readings[0], 60, "at first the rise reads as a queue");
  const firstZero = readings.indexOf(0);
  assert.ok(firstZero > 0, "then it is the base");
  assert.ok(
    (firstZero + 1) * 100 <= WINDOW_MS,
    `taken as the base after ${(firstZero + 1) * 100} ms`,
  );
  assert.ok(readings.slice(firstZero).every((r) => r === 0));
  // A long silence forgets the old base altogether.
  q.add(t + 3 * WINDOW_MS, OFFSET + 90);
  assert.equal(q.take(), 0);
  assert.equal(q.baseMs, OFFSET + 90);
});

Deno.test("standing queue: delays that are not numbers are ignored", () => {
  const q = new StandingQueue();
  q.add(0, OFFSET);
  q.add(10, NaN);
  q.add(20, Infinity);
  assert.equal(q.take(), 0);
  assert.equal(q.baseMs, OFFSET);
});
