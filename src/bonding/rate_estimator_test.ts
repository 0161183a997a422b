import assert from "node:assert/strict";
import { RateEstimator } from "./rate_estimator.ts";

const MBIT = 1e6 / 8;

Deno.test("rate estimate: a loaded, stretched interval pulls the estimate towards delivery", () => {
  const r = new RateEstimator(40 * MBIT);
  // 50 ms of sending at 40 Mbit/s took 100 ms to arrive: the path carries 20.
  for (let i = 0; i < 20; i++) r.add(20 * MBIT * 0.1, 100, 50, 50, 0);
  assert.ok(Math.abs(r.rate / MBIT - 20) < 1, `${r.rate / MBIT}`);
});

Deno.test("rate estimate: an idle path (probes only) keeps its estimate through stretch and loss", () => {
  const r = new RateEstimator(25 * MBIT);
  // 3 probes of 100 bytes in 50 ms, arriving over 80 ms, one in three lost.
  for (let i = 0; i < 50; i++) r.add(200, 80, 50, 50, 1 / 3);
  assert.equal(r.rate, 25 * MBIT);
});

Deno.test("rate estimate: a stretch within the path's jitter is no saturation", () => {
  const jittery = new RateEstimator(25 * MBIT);
  const plain = new RateEstimator(25 * MBIT);
  // Sent at 25 Mbit/s over 50 ms; ±20 ms of jitter spread the arrivals over 70 ms.
  for (let i = 0; i < 20; i++) {
    jittery.add(25 * MBIT * 0.05, 70, 50, 50, 0, 27);
    plain.add(25 * MBIT * 0.05, 70, 50, 50, 0);
  }
  assert.equal(jittery.rate, 25 * MBIT);
  assert.ok(plain.rate < 20 * MBIT, "without the slack the same samples sink it");
});

Deno.test("rate estimate: arrivals bunched by jitter raise it no further than the packets left", () => {
  const r = new RateEstimator(25 * MBIT);
  // Sent at 30 Mbit/s over 50 ms (a probing phase); jitter packed the arrivals into 10 ms,
  // which reads as 150 Mbit/s.
  for (let i = 0; i < 20; i++) r.add(30 * MBIT * 0.05, 10, 50, 50, 0, 27);
  assert.ok(Math.abs(r.rate / MBIT - 30) < 0.01, `${r.rate / MBIT}`);
});

Deno.test("rate estimate: a path faster than its estimate shows it at once", () => {
  const r = new RateEstimator(10 * MBIT);
  // Paced at 10 Mbit/s the packets would have taken 50 ms; they left within 12 ms and the
  // path delivered them in 12.5 ms: it carries 40 Mbit/s.
  r.add(40 * MBIT * 0.0125, 12.5, 50, 12, 0);
  assert.ok(Math.abs(r.rate / MBIT - 40) < 0.01, `${r.rate / MBIT}`);
});

Deno.test("rate estimate: the lag of an early marker after an idle spell is no stretch", () => {
  const sinks = new RateEstimator(30 * MBIT);
  const holds = new RateEstimator(30 * MBIT);
  // The previous marker was paced 15 ms past when it left (the estimate is below the path's
  // 50 Mbit/s); the path then idled. Paced departures span 10 ms, real ones 25 ms; the
  // arrivals 25.5 ms. Only the real span shows the path kept up.
  for (let i = 0; i < 10; i++) {
    sinks.add(50 * MBIT * 0.01, 25.5, 10, 0, 0, 2);
    holds.add(50 * MBIT * 0.01, 25.5, 10, 25, 0, 2);
  }
  assert.ok(sinks.rate < 25 * MBIT, `paced span alone sinks it: ${sinks.rate / MBIT}`);
  assert.equal(holds.rate, 30 * MBIT);
});

Deno.test("rate estimate: an unsaturated interval raises it to what arrived, not what was sent", () => {
  const r = new RateEstimator(10 * MBIT);
  // Sent at 21 Mbit/s, 5% lost on the way (random loss, no saturation): 20 arrived.
  r.add(20 * MBIT * 0.05, 50, 50, 50, 0.05);
  assert.ok(Math.abs(r.rate / MBIT - 20) < 0.01, `${r.rate / MBIT}`);
});

Deno.test("rate estimate: a standing queue makes a barely stretched interval saturated, and drains it", () => {
  // 51 Mbit/s sent over 50 ms, the link carries 49: arrivals stretched by 4 %, under the 5 %
  // that alone counts as saturation.
  const sample = (r: RateEstimator, queueMs: number) =>
    r.add(49 * MBIT * 0.052, 52, 50, 50, 0, 0, queueMs);
  const unaware = new RateEstimator(51 * MBIT);
  const shallow = new RateEstimator(51 * MBIT);
  const standing = new RateEstimator(51 * MBIT);
  for (let i = 0; i < 40; i++) {
    sample(unaware, 0);
    sample(shallow, 20); // below the target: what a probing phase leaves
    sample(standing, 130); // 100 ms over the target
  }
  assert.equal(unaware.rate, 51 * MBIT, "without the queue it never comes down");
  assert.equal(shallow.rate, 51 * MBIT);
  // Pulled below the delivery rate by the share that drains 100 ms in about half a second.
  const mbps = standing.rate / MBIT;
  assert.ok(mbps < 49 * 0.81 && mbps > 49 * 0.79, `${mbps}`);
  assert.equal(standing.saturatedSamples, 40);
  // Drained: the next sample without a queue (delivering at the link's rate) lifts it back.
  standing.add(49 * MBIT * 0.05, 50, 50, 50, 0, 0, 0);
  assert.ok(Math.abs(standing.rate / MBIT - 49) < 0.01, `${standing.rate / MBIT}`);
});

Deno.test("rate estimate: a jittery path's queue counts only beyond its jitter", () => {
  const r = new RateEstimator(25 * MBIT);
  // Sent at 26, delivered at 25; the low delay reads 50 ms above the base, within 30 + 27.
  for (let i = 0; i < 20; i++) r.add(25 * MBIT * 0.2, 200, 192, 192, 0, 27, 50);
  assert.equal(r.rate, 25 * MBIT);
  for (let i = 0; i < 20; i++) r.add(25 * MBIT * 0.2, 200, 192, 192, 0, 27, 97);
  assert.ok(r.rate < 25 * MBIT * 0.95, `${r.rate / MBIT}`);
});
