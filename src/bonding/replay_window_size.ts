/**
 * How many counters a bonded peer must keep in its replay window (and in its reorder buffer).
 *
 * Over one path packets arrive nearly in counter order, and the stock window (8128) is plenty.
 * Bonded, the packet sent on the slowest path arrives up to `skew` later than packets sent after
 * it on the fastest, and the window must still hold its counter then: skew x packet rate, e.g.
 * 100 ms at 1 Gbit/s of 1400-byte packets is ~8900 counters. The result is rounded up to the
 * replay filter's 32-bit bitmap blocks (src/protocol/replay.ts), since the filter keeps whole
 * blocks anyway, and never goes below the stock window.
 */
import { REPLAY_WINDOW_DEFAULT } from "../protocol/constants.ts";

/** Bits per bitmap block of ReplayFilter (it works on 32-bit words). */
export const REPLAY_BLOCK_BITS = 32;
/** ReplayFilter's largest window. */
export const REPLAY_WINDOW_MAX = 2 ** 24;

/** Packets of `packetBytes` sent at `bitsPerSecond` within `ms` (rounded up). */
export function packetsWithin(ms: number, bitsPerSecond: number, packetBytes: number): number {
  if (!(ms >= 0 && bitsPerSecond >= 0 && packetBytes > 0)) {
    throw new RangeError(
      `packetsWithin needs ms >= 0, bitsPerSecond >= 0, packetBytes > 0; got ${ms}, ${bitsPerSecond}, ${packetBytes}`,
    );
  }
  return Math.ceil((ms / 1000) * (bitsPerSecond / 8) / packetBytes);
}

/**
 * The replay window for a bonded peer whose paths differ by up to `skewMs` in delay, carrying
 * up to `bitsPerSecond` (the sum of the links) in packets of about `packetBytes` (the tunnel
 * MTU; smaller packets mean more counters per second, so pass the size traffic really has if it
 * is known to be smaller).
 */
export function bondedReplayWindow(
  skewMs: number,
  bitsPerSecond: number,
  packetBytes: number,
): number {
  const packets = packetsWithin(skewMs, bitsPerSecond, packetBytes);
  const blocks = Math.ceil(packets / REPLAY_BLOCK_BITS) * REPLAY_BLOCK_BITS;
  return Math.min(REPLAY_WINDOW_MAX, Math.max(REPLAY_WINDOW_DEFAULT, blocks));
}
