import assert from "node:assert/strict";
import { ReplayFilter } from "./replay.ts";

const W = 8128;
const L = W + 1;
/**
 * The reference sequence uses R = 2^64 - 2^4 - 1 as the reject limit, which a JS number cannot
 * hold exactly. The filter's limit is a constructor parameter, so the sequence runs with
 * R = 2^53 - 2^4 - 1: the same structure (limit, limit-1, limit+1, ...) at the top of the exact
 * range, every value below 2^53 and therefore exact.
 */
const R = 2 ** 53 - 2 ** 4 - 1;

Deno.test("replay window follows the reference 34-step sequence", () => {
  const f = new ReplayFilter(W, R);
  const steps: [number, boolean][] = [
    [0, true],
    [1, true],
    [1, false],
    [9, true],
    [8, true],
    [7, true],
    [7, false],
    [L, true],
    [L - 1, true],
    [L - 1, false],
    [L - 2, true],
    [2, true],
    [2, false],
    [L + 16, true],
    [3, false],
    [L + 16, false],
    [4 * L, true],
    [4 * L - (L - 1), true],
    [10, false],
    [4 * L - L, false],
    [4 * L - (L + 1), false],
    [4 * L - (L - 2), true],
    [4 * L + 1 - L, false],
    [0, false],
    [R, false],
    [R - 1, true],
    [R, false],
    [R - 1, false],
    [R - 2, true],
    [R + 1, false],
    [R + 2, false],
    [R - 2, false],
    [R - 3, true],
    [0, false],
  ];
  steps.forEach(([counter, ok], i) => {
    assert.equal(f.accept(counter), ok, `step ${i + 1}: counter ${counter}`);
  });
});

Deno.test("replay window bulk 1: 1..W accepted, then 0 once", () => {
  const f = new ReplayFilter(W);
  for (let i = 1; i <= W; i++) assert.equal(f.accept(i), true, `counter ${i}`);
  assert.equal(f.accept(0), true);
  assert.equal(f.accept(0), false);
});

Deno.test("replay window bulk 2: 2..W+1 accepted, then 1 accepted and 0 rejected", () => {
  const f = new ReplayFilter(W);
  for (let i = 2; i <= W + 1; i++) assert.equal(f.accept(i), true, `counter ${i}`);
  assert.equal(f.accept(1), true);
  assert.equal(f.accept(0), false);
});

Deno.test("replay window bulk 3: W+1 down to 1 all accepted", () => {
  const f = new ReplayFilter(W);
  for (let i = W + 1; i >= 1; i--) assert.equal(f.accept(i), true, `counter ${i}`);
});

Deno.test("replay window bulk 4: W+2 down to 2 accepted, then 0 rejected", () => {
  const f = new ReplayFilter(W);
  for (let i = W + 2; i >= 2; i--) assert.equal(f.accept(i), true, `counter ${i}`);
  assert.equal(f.accept(0), false);
});

Deno.test("replay window bulk 5: W down to 1, then W+1 accepted, then 0 rejected", () => {
  const f = new ReplayFilter(W);
  for (let i = W; i >= 1; i--) assert.equal(f.accept(i), true, `counter ${i}`);
  assert.equal(f.accept(W + 1), true);
  assert.equal(f.accept(0), false);
});

Deno.test("replay window bulk 6: W down to 1, then 0, then W+1 accepted", () => {
  const f = new ReplayFilter(W);
  for (let i = W; i >= 1; i--) assert.equal(f.accept(i), true, `counter ${i}`);
  assert.equal(f.accept(0), true);
  assert.equal(f.accept(W + 1), true);
});

Deno.test("replay window rejects a counter seen twice and honours a larger configured window", () => {
  const big = 65536;
  const f = new ReplayFilter(big);
  assert.equal(f.accept(100_000), true);
  assert.equal(f.accept(100_000 - big), true, "exactly one window behind");
  assert.equal(f.accept(100_000 - big - 1), false, "beyond the window");
  assert.equal(f.accept(100_000 - big), false, "seen twice");
});

Deno.test("replay window agrees with a naive set-based model on random counters", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const w = 200;
  const f = new ReplayFilter(w);
  const seen = new Set<number>();
  let last = 0;
  for (let i = 0; i < 20000; i++) {
    const c = Math.max(0, Math.floor(last + (rnd() - 0.7) * 600));
    const expect = !seen.has(c) && !(c < last && last - c > w);
    assert.equal(f.accept(c), expect, `iteration ${i}, counter ${c}, last ${last}`);
    if (expect) {
      seen.add(c);
      if (c > last) last = c;
    }
  }
});

Deno.test("replay window rejects counters at or beyond the reject limit", () => {
  const f = new ReplayFilter(W, 1000);
  assert.equal(f.accept(999), true);
  assert.equal(f.accept(1000), false);
  assert.equal(f.accept(-1), false);
  assert.equal(f.accept(NaN), false);
});
