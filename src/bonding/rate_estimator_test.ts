import assert from "node:assert/strict";
import { RateEstimator } from "./rate_estimator.ts";

const MBIT = 1e6 / 8;

Deno.test("rate estimate: a loaded, stretched interval pulls the estimate towards delivery", () => {
  const r = new RateEstimator(40 * MBIT);
  // 50 ms of sending at 40 Mbit/s took 100 ms to arrive: the path carries 20.
  for (let i = 0; i < 20; i++) r.add(20 * MBIT * 0.1, 100, 50, 0);
  assert.ok(Math.abs(r.rate / MBIT - 20) < 1, `${r.rate / MBIT}`);
});

Deno.test("rate estimate: an idle path (probes only) keeps its estimate through stretch and loss", () => {
  const r = new RateEstimator(25 * MBIT);
  // 3 probes of 100 bytes in 50 ms, arriving over 80 ms, one in three lost.
  for (let i = 0; i < 50; i++) r.add(200, 80, 50, 1 / 3);
  assert.equal(r.rate, 25 * MBIT);
});

Deno.test("rate estimate: a stretch within the path's jitter is no saturation", () => {
  const jittery = new RateEstimator(25 * MBIT);
  const plain = new RateEstimator(25 * MBIT);
  // Sent at 25 Mbit/s over 50 ms; ±20 ms of jitter spread the arrivals over 70 ms.
  for (let i = 0; i < 20; i++) {
    jittery.add(25 * MBIT * 0.05, 70, 50, 0, 27);
    plain.add(25 * MBIT * 0.05, 70, 50, 0);
  }
  assert.equal(jittery.rate, 25 * MBIT);
  assert.ok(plain.rate < 20 * MBIT, "without the slack the same samples sink it");
});
