/**
 * Sliding-window replay filter for transport counters (RFC 6479): a ring of bitmap blocks in
 * which moving the window forward only clears the blocks it passes, so each check is O(1) and
 * out-of-order packets within the window are still accepted exactly once.
 *
 * JavaScript bit operations are 32 bits wide, so the blocks are 32-bit words (the reference
 * implementations use 64-bit words; the behaviour seen from outside is identical: a counter is
 * accepted when it is below the reject limit, not older than `windowSize` behind the newest
 * counter seen, and not seen before).
 *
 * Run this only after the packet has been authenticated; otherwise forged counters would move
 * the window.
 */
import { COUNTER_LIMIT, REJECT_AFTER_MESSAGES, REPLAY_WINDOW_DEFAULT } from "./constants.ts";

const BLOCK_BITS = 32;

export class ReplayFilter {
  readonly windowSize: number;
  readonly rejectLimit: number;
  readonly #ring: Uint32Array;
  readonly #blocks: number;
  #last = 0;

  /**
   * @param windowSize counters this far behind the newest are still accepted
   *   @default 8128, as stock peers; bonded peers need more (path skew x packet rate)
   * @param rejectLimit counters at or above it are rejected @default REJECT_AFTER_MESSAGES
   */
  constructor(windowSize = REPLAY_WINDOW_DEFAULT, rejectLimit = REJECT_AFTER_MESSAGES) {
    if (!Number.isInteger(windowSize) || windowSize < 1 || windowSize > 2 ** 24) {
      throw new RangeError(`replay window must be an integer in 1..${2 ** 24}, got ${windowSize}`);
    }
    if (!Number.isInteger(rejectLimit) || rejectLimit < 1 || rejectLimit > COUNTER_LIMIT) {
      throw new RangeError(`replay reject limit must be an integer in 1..2^53, got ${rejectLimit}`);
    }
    this.windowSize = windowSize;
    this.rejectLimit = rejectLimit;
    // The ring must keep every block the window can reach plus the one being filled; a power of
    // two lets the block index wrap with a mask-free modulo that stays exact above 2^32.
    let blocks = 2;
    while (blocks < Math.ceil(windowSize / BLOCK_BITS) + 2) blocks *= 2;
    this.#blocks = blocks;
    this.#ring = new Uint32Array(blocks);
  }

  /** Forgets everything (a fresh keypair). */
  reset(): void {
    this.#last = 0;
    this.#ring.fill(0);
  }

  /** True if `counter` is new and inside the window; records it. */
  accept(counter: number): boolean {
    if (!(counter >= 0 && counter < this.rejectLimit)) return false;
    const ring = this.#ring;
    const blocks = this.#blocks;
    const blockIndex = Math.floor(counter / BLOCK_BITS);
    if (counter > this.#last) {
      const current = Math.floor(this.#last / BLOCK_BITS);
      const diff = Math.min(blockIndex - current, blocks);
      for (let i = 1; i <= diff; i++) ring[(current + i) % blocks] = 0;
      this.#last = counter;
    } else if (this.#last - counter > this.windowSize) {
      return false;
    }
    const slot = blockIndex % blocks;
    const bit = 1 << (counter % BLOCK_BITS);
    const old = ring[slot];
    if ((old & bit) !== 0) return false;
    ring[slot] = old | bit;
    return true;
  }
}
