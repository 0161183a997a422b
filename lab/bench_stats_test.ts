import assert from "node:assert/strict";
import { checkRepeat, median, medianBy, percentile } from "./bench_stats.ts";

Deno.test("bench stats: the median is the middle value, the upper one of an even count", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 3);
  assert.ok(Number.isNaN(median([])));
  const runs = [{ gbps: 1.9, cpu: 7 }, { gbps: 1.1, cpu: 9 }, { gbps: 1.5, cpu: 8 }];
  assert.equal(medianBy(runs, (r) => r.gbps), runs[2], "the run itself, its other figures kept");
  assert.deepEqual(runs.map((r) => r.gbps), [1.9, 1.1, 1.5], "the input is not reordered");
});

Deno.test("bench stats: --repeat must be a whole number 1-20", () => {
  checkRepeat("tunnel", 5, "5");
  for (const bad of [0, 21, 2.5, NaN]) {
    assert.throws(() => checkRepeat("tunnel", bad, bad), /bench tunnel: --repeat wants/);
  }
});

Deno.test("bench stats: percentiles by nearest rank, 0.5 agreeing with the median", () => {
  const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile(values, 0.9), 10);
  assert.equal(percentile(values, 0.85), 9);
  assert.equal(percentile(values, 1), 10);
  assert.equal(percentile(values, 0.5), median(values));
  assert.deepEqual(values, [10, 1, 9, 2, 8, 3, 7, 4, 6, 5], "the input is not sorted in place");
  assert.ok(Number.isNaN(percentile([], 0.9)));
  assert.throws(() => percentile(values, 90), /percentile wants 0-1, got 90/);
});
