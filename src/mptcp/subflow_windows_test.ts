import assert from "node:assert/strict";
import {
  CONNECTIONS_AT_ONCE,
  initialWindow,
  KERNEL_INITIAL_WINDOW,
  MAX_SUBFLOW_WINDOW,
  subflowWindows,
} from "./subflow_windows.ts";
import { SPLIT_SUBFLOWS } from "./subflow_ports.ts";

const MSS = 1380;
const mbps = (n: number) => n * 1e6 / 8;

Deno.test("subflow window: the path's bandwidth-delay product shared by the connections starting together", () => {
  // 20 Mbit/s x 60 ms = 150 000 bytes = 108.7 packets; 8 connections: 13 each.
  assert.equal(initialWindow({ bytesPerSecond: mbps(20), minRttMs: 60 }, MSS), 13);
  const bdp = mbps(20) * 0.06 / MSS;
  assert.equal(Math.floor(bdp / CONNECTIONS_AT_ONCE), 13, "the same sum done by hand");
});

Deno.test("subflow window: never below the kernel's 10, never above the ceiling", () => {
  // Profile C's fast link, 50 Mbit/s x 10 ms: 45 packets, 5 each: the kernel's 10.
  assert.equal(
    initialWindow({ bytesPerSecond: mbps(50), minRttMs: 10 }, MSS),
    KERNEL_INITIAL_WINDOW,
  );
  // Its LTE-like link, 25 Mbit/s x 240 ms: 543 packets, 67 each: the ceiling.
  assert.equal(
    initialWindow({ bytesPerSecond: mbps(25), minRttMs: 240 }, MSS),
    MAX_SUBFLOW_WINDOW,
  );
});

Deno.test("subflow window: a path without an RTT sample, or a zero rate, gets the kernel's", () => {
  assert.equal(initialWindow({ bytesPerSecond: mbps(25), minRttMs: Infinity }, MSS), 10);
  assert.equal(initialWindow({ bytesPerSecond: 0, minRttMs: 240 }, MSS), 10);
  assert.equal(initialWindow({ bytesPerSecond: NaN, minRttMs: 240 }, MSS), 10);
});

Deno.test("subflow windows: subflow j takes the window of the path it rides (j mod paths)", () => {
  const fast = { bytesPerSecond: mbps(50), minRttMs: 10 };
  const lte = { bytesPerSecond: mbps(25), minRttMs: 240 };
  const mid = { bytesPerSecond: mbps(40), minRttMs: 100 }; // 362 packets: 45
  // Path ids 0 and 3 exist: subflows alternate between them.
  assert.deepEqual(
    subflowWindows([fast, undefined, undefined, lte], MSS),
    [10, 64, 10, 64, 10, 64, 10, 64],
  );
  assert.deepEqual(subflowWindows([mid, fast, lte], MSS), [45, 10, 64, 45, 10, 64, 45, 10]);
  const none = subflowWindows([undefined, undefined], MSS);
  assert.deepEqual(none, new Array(SPLIT_SUBFLOWS).fill(KERNEL_INITIAL_WINDOW));
});
