import assert from "node:assert/strict";
import { checkRepeat, median, medianBy } from "./bench_stats.ts";

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
