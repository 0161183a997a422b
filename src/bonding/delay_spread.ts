/**
 * The receiver's estimate of how far apart the paths' one-way delays are, which sets the
 * reorder buffer's timeout: a packet sent on the fastest path may wait for one sent at the same
 * time on the slowest, plus jitter, and no longer.
 *
 * Each probe from the peer carries the sender's clock (`sentAt`). `now - sentAt` is the one-way
 * delay plus the unknown offset between the two clocks; the offset is the same on every path,
 * so it cancels in the spread (max - min) and the sides need no clock synchronisation. Per path
 * the transit is smoothed with gain 1/8, and jitter is RFC 3550's (gain 1/16 on the change in
 * transit between consecutive probes).
 *
 * timeout = clamp(spread + 3 x the largest jitter, minTimeoutMs, maxTimeoutMs), over the paths
 * heard from in the last `staleMs`.
 */

export interface DelaySpreadOptions {
  /** Floor: even paths of equal delay reorder a little (batching on both sides). @default 3 */
  minTimeoutMs?: number;
  /** Ceiling: past this a gap costs more than a retransmission. @default 250 */
  maxTimeoutMs?: number;
  /** Paths without a probe for this long are left out. @default 1000 */
  staleMs?: number;
}

export class DelaySpread {
  readonly paths: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly staleMs: number;
  readonly #transit: Float64Array;
  readonly #jitter: Float64Array;
  readonly #last: Float64Array;
  readonly #heardAt: Float64Array;

  constructor(paths: number, options: DelaySpreadOptions = {}) {
    if (!Number.isInteger(paths) || paths < 1 || paths > 32) {
      throw new RangeError(`delay spread paths must be an integer in 1..32, got ${paths}`);
    }
    this.paths = paths;
    this.minTimeoutMs = options.minTimeoutMs ?? 3;
    this.maxTimeoutMs = options.maxTimeoutMs ?? 250;
    this.staleMs = options.staleMs ?? 1000;
    if (!(this.minTimeoutMs >= 0 && this.minTimeoutMs <= this.maxTimeoutMs)) {
      throw new RangeError(
        `delay spread wants 0 <= minTimeoutMs <= maxTimeoutMs, got ${this.minTimeoutMs}, ${this.maxTimeoutMs}`,
      );
    }
    this.#transit = new Float64Array(paths).fill(NaN);
    this.#jitter = new Float64Array(paths);
    this.#last = new Float64Array(paths);
    this.#heardAt = new Float64Array(paths).fill(-Infinity);
  }

  /** A probe from the peer arrived on `path` at `now`, stamped `sentAt` by the peer's clock. */
  add(now: number, path: number, sentAt: number): void {
    if ((path >>> 0) !== path || path >= this.paths) return;
    const transit = now - sentAt;
    if (!Number.isFinite(transit)) return;
    if (this.#transit[path] !== this.#transit[path]) {
      this.#transit[path] = transit;
      this.#jitter[path] = 0;
    } else {
      this.#transit[path] += (transit - this.#transit[path]) / 8;
      this.#jitter[path] += (Math.abs(transit - this.#last[path]) - this.#jitter[path]) / 16;
    }
    this.#last[path] = transit;
    this.#heardAt[path] = now;
  }

  /** Smoothed one-way delay of `path` relative to the fastest fresh path, ms (NaN if unknown). */
  relativeDelay(now: number, path: number): number {
    const fastest = this.#extreme(now, -1);
    return this.#fresh(now, path) ? this.#transit[path] - fastest : NaN;
  }

  jitter(path: number): number {
    return this.#jitter[path];
  }

  /** The reorder timeout for now, ms. */
  timeoutMs(now: number): number {
    let jitter = 0;
    for (let p = 0; p < this.paths; p++) {
      if (this.#fresh(now, p) && this.#jitter[p] > jitter) jitter = this.#jitter[p];
    }
    const hi = this.#extreme(now, 1);
    const spread = hi === -Infinity ? 0 : hi - this.#extreme(now, -1);
    return Math.min(this.maxTimeoutMs, Math.max(this.minTimeoutMs, spread + 3 * jitter));
  }

  #fresh(now: number, p: number): boolean {
    return now - this.#heardAt[p] <= this.staleMs;
  }

  /** Largest (sign 1) or smallest (sign -1) smoothed transit of the fresh paths. */
  #extreme(now: number, sign: 1 | -1): number {
    let best = -Infinity;
    for (let p = 0; p < this.paths; p++) {
      if (this.#fresh(now, p) && sign * this.#transit[p] > best) best = sign * this.#transit[p];
    }
    return sign * best;
  }
}
