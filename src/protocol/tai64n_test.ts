import assert from "node:assert/strict";
import { tai64n, tai64nAfter } from "./tai64n.ts";
import { toHex } from "./test_hex.ts";

Deno.test("TAI64N is 2^62 + seconds then nanoseconds, both big-endian", () => {
  // 2023-11-14T22:13:20.5Z = 1700000000.5 s.
  const t = tai64n(1_700_000_000_500);
  assert.equal(
    toHex(t.subarray(0, 8)),
    (2n ** 62n + 1_700_000_000n).toString(16).padStart(16, "0"),
  );
  const nanos = new DataView(t.buffer).getUint32(8);
  assert.ok(nanos <= 500_000_000 && nanos > 500_000_000 - 2 ** 24, `nanos ${nanos}`);
  assert.equal(nanos % 2 ** 24, 0, "whitened to a multiple of 2^24 ns");
});

Deno.test("TAI64N timestamps order like the times they encode", () => {
  const a = tai64n(1_700_000_000_000);
  const b = tai64n(1_700_000_000_020);
  const c = tai64n(1_700_000_001_000);
  assert.equal(tai64nAfter(b, a), true);
  assert.equal(tai64nAfter(c, b), true);
  assert.equal(tai64nAfter(a, c), false);
  assert.equal(tai64nAfter(a, a), false, "equal is not after");
});
