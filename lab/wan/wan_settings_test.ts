import assert from "node:assert/strict";
import {
  applyLinkPatch,
  checkLinkPatch,
  DEFAULT_DIRECTION,
  describeDirection,
  linkSettings,
  queueLimitBytes,
} from "./wan_settings.ts";

Deno.test("linkSettings fills both directions from the defaults", () => {
  const s = linkSettings({ up: { rateMbps: 10 } });
  assert.deepEqual(s.down, DEFAULT_DIRECTION);
  assert.equal(s.up.rateMbps, 10);
  assert.equal(s.up.delayMs, DEFAULT_DIRECTION.delayMs);
});

Deno.test("applyLinkPatch changes only the named fields and leaves its input alone", () => {
  const base = linkSettings({ down: { delayMs: 30, rateMbps: 20 } });
  const next = applyLinkPatch(base, { down: { delayMs: 80 } });
  assert.equal(next.down.delayMs, 80);
  assert.equal(next.down.rateMbps, 20);
  assert.equal(base.down.delayMs, 30);
});

Deno.test("patches with unknown keys, wrong types or out-of-range values are refused", () => {
  assert.throws(
    () => checkLinkPatch({ sideways: {} } as never),
    /link.sideways: unknown direction/,
  );
  assert.throws(
    () => checkLinkPatch({ up: { speed: 1 } } as never),
    /link.up.speed: unknown setting/,
  );
  assert.throws(() => checkLinkPatch({ up: { delayMs: -1 } }), /link.up.delayMs: .* got -1/);
  assert.throws(() => checkLinkPatch({ up: { delayMs: "5" } } as never), /got "5"/);
  assert.throws(() => checkLinkPatch({ down: { down: 1 } } as never), /true or false, got 1/);
  assert.throws(() => checkLinkPatch({ down: { queueBytes: 1.5 } }), /an integer/);
  assert.throws(() => checkLinkPatch(null as never), /must be an object/);
});

Deno.test("the queue limit follows the rate when given in ms, and is fixed when given in bytes", () => {
  const s = { ...DEFAULT_DIRECTION, rateMbps: 8, queueMs: 50 };
  // 8 Mbit/s = 1000 bytes/ms.
  assert.equal(queueLimitBytes(s), 50_000);
  assert.equal(queueLimitBytes({ ...s, queueBytes: 3000 }), 3000);
  assert.equal(queueLimitBytes({ ...s, rateMbps: 0 }), 0, "no rate, no queue");
});

Deno.test("describeDirection says what a person needs to know", () => {
  assert.equal(describeDirection({ ...DEFAULT_DIRECTION, down: true }), "DOWN (blackholed)");
  assert.equal(
    describeDirection({
      ...DEFAULT_DIRECTION,
      rateMbps: 25,
      delayMs: 120,
      jitterMs: 20,
      lossPercent: 2,
      burstLength: 3,
    }),
    "25 Mbit/s, delay 120 ms, jitter ±20 ms, loss 2% in bursts of 3, queue 100 ms",
  );
});
