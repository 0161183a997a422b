import assert from "node:assert/strict";
import { formatBytes, formatDuration, formatMbps, mbpsOf } from "./human_units.ts";

Deno.test("bytes read in binary units with three significant digits", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(12.34 * 1024 * 1024), "12.3 MiB");
  assert.equal(formatBytes(300 * 1024 ** 3), "300 GiB");
});

Deno.test("durations show their two largest units", () => {
  assert.equal(formatDuration(850), "850ms");
  assert.equal(formatDuration(12_345), "12s");
  assert.equal(formatDuration(184_000), "3m04s");
  assert.equal(formatDuration(7_500_000), "2h05m");
  assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), "3d04h");
});

Deno.test("rates are Mbit/s from bytes and milliseconds", () => {
  assert.equal(mbpsOf(125_000, 1000), 1);
  assert.equal(mbpsOf(1, 0), 0);
  assert.equal(formatMbps(0.5123), "0.512 Mbit/s");
  assert.equal(formatMbps(98.76), "98.8 Mbit/s");
  assert.equal(formatMbps(941.4), "941 Mbit/s");
});
