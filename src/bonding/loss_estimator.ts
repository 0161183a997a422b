/**
 * Loss rate of one path from per-path counts: packets known sent and known lost, accumulated
 * with an exponential decay in time (a half-life), so old losses fade and the estimate needs no
 * window of samples. Probe timeouts and receive reports both feed it.
 */
export class LossEstimator {
  readonly halfLifeMs: number;
  /** Below this many (decayed) packets the estimate is 0: too few to say anything. */
  readonly minPackets: number;
  #sent = 0;
  #lost = 0;
  #at = NaN;

  constructor(halfLifeMs: number, minPackets: number) {
    if (!(halfLifeMs > 0)) throw new RangeError(`loss half-life must be > 0 ms, got ${halfLifeMs}`);
    this.halfLifeMs = halfLifeMs;
    this.minPackets = minPackets;
  }

  /** `sent` packets of which `lost` were lost, learned at `now`. */
  add(now: number, sent: number, lost: number): void {
    this.#decay(now);
    this.#sent += sent;
    this.#lost += Math.min(Math.max(lost, 0), sent);
  }

  /** Fraction lost, 0..1. */
  rate(now: number): number {
    this.#decay(now);
    return this.#sent < this.minPackets ? 0 : this.#lost / this.#sent;
  }

  /** Forgets everything (a path that went down starts afresh). */
  reset(): void {
    this.#sent = 0;
    this.#lost = 0;
  }

  #decay(now: number): void {
    if (this.#at === this.#at && now > this.#at) {
      const f = Math.pow(2, -(now - this.#at) / this.halfLifeMs);
      this.#sent *= f;
      this.#lost *= f;
    }
    if (!(now <= this.#at)) this.#at = now;
  }
}
