/**
 * Initial congestion windows of the TCP split's subflows, one per path. Every LAN connection
 * gets new subflows, and each starts from the kernel's initial window of 10 packets: on a path
 * with a large bandwidth-delay product (an LTE link at 25 Mbit/s and 240 ms holds ≈ 550
 * packets in flight) slow start then takes a good part of a transfer. In the lab's profile C an
 * 8-s single flow reached 51-54 Mbit/s of 75 so; 57-61 with 64 packets on the LTE subflow.
 *
 * A larger window everywhere is not the answer: eight connections starting together put eight
 * first flights on every path at once, and on the lab's profile A (paths of 90-110 packets) 64
 * each cost eight parallel flows 5 % and brought loss. So each path gets the share of its
 * bandwidth-delay product that CONNECTIONS_AT_ONCE first flights may take together, never less
 * than the kernel's 10 and never more than MAX_SUBFLOW_WINDOW: profile A's paths stay at
 * 10-13, profile C's LTE path gets 64.
 *
 * Sans-IO: the split's route keeper (src/roles/split_window_routes.ts) feeds the paths'
 * capacity estimates and base RTTs and installs the result as route metrics.
 */
import { SPLIT_SUBFLOWS, splitPathOf } from "./subflow_ports.ts";

/** The kernel's initial window (RFC 6928): no subflow starts below it. */
export const KERNEL_INITIAL_WINDOW = 10;
/** No subflow starts above this many packets. */
export const MAX_SUBFLOW_WINDOW = 64;
/** Connections assumed to start together (a browser's, `iperf3 -P 8`). */
export const CONNECTIONS_AT_ONCE = 8;

/** What a path's window is computed from. */
export interface PathCapacity {
  /** Capacity estimate, bytes per second. */
  bytesPerSecond: number;
  /** Base round-trip time, ms (Infinity before the first sample). */
  minRttMs: number;
}

/** The initial window, in packets of `mss` bytes, for a subflow on `path`. */
export function initialWindow(path: PathCapacity, mss: number): number {
  const bdpPackets = path.bytesPerSecond * path.minRttMs / 1000 / mss;
  // No RTT yet (Infinity), or nonsense: the kernel's own.
  if (!Number.isFinite(bdpPackets) || bdpPackets <= 0) return KERNEL_INITIAL_WINDOW;
  const share = Math.floor(bdpPackets / CONNECTIONS_AT_ONCE);
  return Math.min(MAX_SUBFLOW_WINDOW, Math.max(KERNEL_INITIAL_WINDOW, share));
}

/**
 * The initial window of each subflow j (0..SPLIT_SUBFLOWS-1) of a peer whose paths, by path id,
 * are `paths` (undefined: no such path). Subflow j rides the path `splitPathOf` gives, as in
 * the data path; with no path at all every subflow gets the kernel's window.
 */
export function subflowWindows(
  paths: readonly (PathCapacity | undefined)[],
  mss: number,
): number[] {
  const windows: number[] = [];
  const exists = (p: number) => paths[p] !== undefined;
  for (let j = 0; j < SPLIT_SUBFLOWS; j++) {
    const p = splitPathOf(j, exists, paths.length);
    windows.push(p < 0 ? KERNEL_INITIAL_WINDOW : initialWindow(paths[p]!, mss));
  }
  return windows;
}
