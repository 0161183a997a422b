import assert from "node:assert/strict";
import {
  ceilingToWrite,
  MIN_SEND_BUFFER,
  parseTcpWmem,
  SEND_BUFFER_BDPS,
  sendBufferCeiling,
} from "./subflow_send_buffer.ts";

const mbps = (n: number) => n * 1e6 / 8;
const DEFAULT_MAX = 4194304;

Deno.test("send buffer ceiling: a multiple of the largest path's bandwidth-delay product, floored", () => {
  // Profile A: 40 Mbit/s x 20 ms, 20 x 60, 10 x 100: 150 000 bytes at most; ten of them are
  // below the floor.
  const a = [
    { bytesPerSecond: mbps(40), minRttMs: 20 },
    { bytesPerSecond: mbps(20), minRttMs: 60 },
    { bytesPerSecond: mbps(10), minRttMs: 100 },
  ];
  assert.equal(sendBufferCeiling(a, DEFAULT_MAX), MIN_SEND_BUFFER);
  // Two 100 Mbit/s links at 20 ms: 250 000 bytes, ten of them.
  const fibre = [{ bytesPerSecond: mbps(100), minRttMs: 20 }, undefined, {
    bytesPerSecond: mbps(100),
    minRttMs: 15,
  }];
  assert.equal(sendBufferCeiling(fibre, DEFAULT_MAX), SEND_BUFFER_BDPS * 250_000);
  // Profile C's LTE path, 25 Mbit/s x 240 ms = 750 000 bytes: above the default, which stays.
  const c = [{ bytesPerSecond: mbps(50), minRttMs: 10 }, {
    bytesPerSecond: mbps(25),
    minRttMs: 240,
  }];
  assert.equal(sendBufferCeiling(c, DEFAULT_MAX), DEFAULT_MAX);
  // Never above what was set, even when that is below the floor.
  assert.equal(sendBufferCeiling(a, 500_000), 500_000);
});

Deno.test("send buffer ceiling: paths without a capacity or an RTT leave what was found", () => {
  assert.equal(sendBufferCeiling([], DEFAULT_MAX), DEFAULT_MAX);
  assert.equal(sendBufferCeiling([undefined, undefined], DEFAULT_MAX), DEFAULT_MAX);
  const noRtt = [{ bytesPerSecond: mbps(40), minRttMs: Infinity }];
  assert.equal(sendBufferCeiling(noRtt, DEFAULT_MAX), DEFAULT_MAX);
  // One path measured is enough.
  const one = [...noRtt, { bytesPerSecond: mbps(20), minRttMs: 60 }];
  assert.equal(sendBufferCeiling(one, DEFAULT_MAX), MIN_SEND_BUFFER);
});

Deno.test("send buffer ceiling: rewritten only when it moves by more than an eighth", () => {
  assert.equal(ceilingToWrite(DEFAULT_MAX, MIN_SEND_BUFFER), MIN_SEND_BUFFER);
  assert.equal(ceilingToWrite(1_000_000, 1_100_000), 1_000_000);
  assert.equal(ceilingToWrite(1_000_000, 900_000), 1_000_000);
  assert.equal(ceilingToWrite(1_000_000, 1_200_000), 1_200_000);
  assert.equal(ceilingToWrite(MIN_SEND_BUFFER, DEFAULT_MAX), DEFAULT_MAX, "back to the found");
});

Deno.test("send buffer ceiling: tcp_wmem's three numbers, or a clear error", () => {
  assert.deepEqual(parseTcpWmem("4096\t16384\t4194304\n"), [4096, 16384, 4194304]);
  assert.deepEqual(parseTcpWmem("4096 16384 4194304"), [4096, 16384, 4194304]);
  assert.throws(() => parseTcpWmem("4096 16384"), /tcp_wmem reads "4096 16384", not three/);
  assert.throws(() => parseTcpWmem("a b c"), /not three numbers/);
});
