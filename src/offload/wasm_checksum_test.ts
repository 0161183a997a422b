import assert from "node:assert/strict";
import { checksumOf } from "./internet_checksum.ts";
import { naiveChecksum, pattern } from "./test_packets.ts";
import { CHECKSUM_MEMORY_PAGES, loadWasmChecksum, MAX_SUM_BYTES } from "./wasm_checksum.ts";

function load() {
  const wasm = loadWasmChecksum();
  assert.ok(wasm, "WebAssembly SIMD is available in Deno on x86_64 and aarch64");
  return wasm;
}

Deno.test("wasm checksum: the RFC 1071 section 3 example sums to 0xddf2", () => {
  const wasm = load();
  wasm.bytes.set([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], 3);
  assert.equal(wasm.sum(3, 8), 0xddf2);
});

Deno.test("wasm checksum: every length and alignment matches a byte-pair reference", () => {
  const wasm = load();
  const data = pattern(4200, 7);
  for (let i = 0; i < data.length; i += 5) data[i] ^= 0xff; // not just a ramp
  wasm.bytes.set(data);
  for (const offset of [0, 1, 2, 3, 5, 15, 16, 17, 64]) {
    for (let length = 0; length <= 70; length++) {
      const expect = naiveChecksum(data.subarray(offset, offset + length));
      assert.equal(checksumOf(wasm.sum(offset, length)), expect, `${offset}+${length}`);
    }
    for (const length of [1368, 1369, 4000]) {
      const expect = naiveChecksum(data.subarray(offset, offset + length));
      assert.equal(checksumOf(wasm.sum(offset, length)), expect, `${offset}+${length}`);
    }
  }
});

Deno.test("wasm checksum: all of its memory, all ones, folds to 0xffff without overflowing", () => {
  const wasm = load();
  assert.equal(wasm.bytes.length, CHECKSUM_MEMORY_PAGES * 65536);
  wasm.bytes.fill(0xff);
  assert.equal(wasm.sum(0, wasm.bytes.length), 0xffff);
  wasm.bytes.fill(0);
  assert.equal(wasm.sum(0, wasm.bytes.length), 0);
  assert.equal(wasm.sum(100, 0), 0);
});

Deno.test("wasm checksum: random runs agree with the reference", () => {
  const wasm = load();
  crypto.getRandomValues(wasm.bytes.subarray(0, 65536));
  crypto.getRandomValues(wasm.bytes.subarray(65536));
  for (let i = 0; i < 200; i++) {
    const offset = Math.floor(Math.random() * 2000);
    const length = Math.floor(Math.random() * (wasm.bytes.length - offset));
    const expect = naiveChecksum(wasm.bytes.subarray(offset, offset + length));
    assert.equal(checksumOf(wasm.sum(offset, length)), expect, `${offset}+${length}`);
  }
});

Deno.test("wasm checksum: refuses runs outside its memory or past the overflow bound", () => {
  const wasm = load();
  assert.throws(() => wasm.sum(-1, 4), RangeError);
  assert.throws(() => wasm.sum(wasm.bytes.length - 3, 4), RangeError);
  assert.ok(MAX_SUM_BYTES >= wasm.bytes.length);
  assert.throws(() => wasm.sum(0, MAX_SUM_BYTES + 1), RangeError);
});

Deno.test("wasm checksum: each load has its own memory, which never grows", () => {
  const a = load();
  const b = load();
  a.bytes.fill(1);
  b.bytes.fill(2);
  assert.notEqual(a.memory, b.memory);
  assert.equal(a.bytes[0], 1);
  assert.throws(() => a.memory.grow(1), RangeError);
});
