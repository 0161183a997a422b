/**
 * The queue standing in a path's link, from one-way delays: each receive report gives one, the
 * peer's arrival time of the path's highest counter less the time that packet really left here.
 * The two clocks differ by a constant, which cancels against the lowest delay of the last
 * WINDOW_MS (the path's base delay, as BBR keeps its min RTT). What the rate estimator needs is
 * the queue that *stood*, not the one a burst or a probing phase made for a moment: the lowest
 * delay over the rate sample, above the base (CoDel's sojourn-time minimum over an interval).
 *
 * Why it matters: a pacing estimate a few percent above what the link carries never stretches
 * an interval by enough to count as saturated (RateEstimator's 5 %), and the link's queue grows
 * by those few percent for as long as the load lasts. In the lab, profile C's 50 Mbit/s link
 * under UDP at 90 % of the links' sum: estimates of 49.4-51.5 Mbit/s where it carries about 49
 * (of the datagram bytes the estimate counts; its 50 count IP headers too), and its RTT grew
 * from 10 to 97-129 ms within 2 s.
 */

/** How long the lowest delay is remembered, ms: a path's base delay that grew (a new route) is
 * taken as its base after at most this long. */
export const WINDOW_MS = 10_000;

export class StandingQueue {
  /** Lowest delay in the current half of the window and in the previous half. */
  #low = Infinity;
  #lowBefore = Infinity;
  #halfStartedAt = NaN;
  /** Lowest delay since the last `take`. */
  #sampleLow = Infinity;

  /** One delay (ms, in the peers' clocks' difference) seen at `now` (ms). */
  add(now: number, delayMs: number): void {
    if (!Number.isFinite(delayMs)) return;
    const half = WINDOW_MS / 2;
    if (!(now - this.#halfStartedAt < half)) {
      // A new half: the previous one's low is kept for one more, unless that too has passed.
      this.#lowBefore = now - this.#halfStartedAt < WINDOW_MS ? this.#low : Infinity;
      this.#low = Infinity;
      this.#halfStartedAt = now;
    }
    if (delayMs < this.#low) this.#low = delayMs;
    if (delayMs < this.#sampleLow) this.#sampleLow = delayMs;
  }

  /** The lowest delay of the window, ms in the same clocks; Infinity before any. */
  get baseMs(): number {
    return Math.min(this.#low, this.#lowBefore);
  }

  /**
   * The queue that stood since the last call (the lowest delay since then, above the base), ms;
   * 0 when no delay came meanwhile. Starts the next interval.
   */
  take(): number {
    const low = this.#sampleLow;
    this.#sampleLow = Infinity;
    return low === Infinity ? 0 : low - this.baseMs;
  }

  /** Forgets the interval so far (a rate sample that starts over). */
  restart(): void {
    this.#sampleLow = Infinity;
  }
}
