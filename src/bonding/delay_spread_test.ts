import assert from "node:assert/strict";
import { DelaySpread } from "./delay_spread.ts";
import { TestRandom } from "./test_random.ts";

/** The receiver's clock runs `offset` ms apart from the sender's: it must not matter. */
function feed(
  ds: DelaySpread,
  paths: { delay: number; jitter: number }[],
  ms: number,
  rnd: TestRandom,
  offset: number,
): number {
  let now = 0;
  for (let sentAt = 0; sentAt < ms; sentAt += 50) {
    paths.forEach((p, i) => {
      now = sentAt + p.delay + (rnd.next() * 2 - 1) * p.jitter + offset;
      ds.add(now, i, sentAt);
    });
  }
  return ms + offset;
}

Deno.test("the reorder timeout follows the one-way delay spread, whatever the clock offset", () => {
  for (const offset of [0, 123_456.7, -5000]) {
    const ds = new DelaySpread(3);
    const now = feed(
      ds,
      [{ delay: 10, jitter: 0 }, { delay: 30, jitter: 0 }, { delay: 50, jitter: 0 }],
      5000,
      new TestRandom(1),
      offset,
    );
    assert.ok(Math.abs(ds.timeoutMs(now) - 40) < 0.01, `offset ${offset}: ${ds.timeoutMs(now)}`);
    assert.ok(Math.abs(ds.relativeDelay(now, 2) - 40) < 0.01);
  }
});

Deno.test("jitter widens the reorder timeout by three times the largest jitter", () => {
  const ds = new DelaySpread(2);
  // 5 ms and 120 ms one-way, the second with +-20 ms (LTE-like).
  const now = feed(
    ds,
    [{ delay: 5, jitter: 0 }, { delay: 120, jitter: 20 }],
    20_000,
    new TestRandom(2),
    0,
  );
  const j = ds.jitter(1);
  // Uniform +-20 ms: the mean change between consecutive samples is 40/3 ms.
  assert.ok(j > 10 && j < 17, `jitter ${j}`);
  const t = ds.timeoutMs(now);
  assert.ok(t > 115 + 3 * 10 && t < 125 + 3 * 17, `timeout ${t}`);
});

Deno.test("the reorder timeout is clamped and forgets paths that went quiet", () => {
  const ds = new DelaySpread(2, { minTimeoutMs: 3, maxTimeoutMs: 100, staleMs: 500 });
  assert.equal(ds.timeoutMs(0), 3, "no paths heard: the floor");
  ds.add(1000, 0, 990);
  ds.add(1000, 1, 700);
  assert.equal(ds.timeoutMs(1000), 100, "a 290 ms spread is capped");
  ds.add(1600, 0, 1590);
  assert.equal(ds.timeoutMs(1600), 3, "path 1 silent for 600 ms no longer counts");
  ds.add(1601, 7, 0);
  ds.add(1601, 0, NaN);
  assert.equal(ds.timeoutMs(1601), 3, "bad input ignored");
  assert.throws(() => new DelaySpread(2, { minTimeoutMs: 10, maxTimeoutMs: 5 }));
});
