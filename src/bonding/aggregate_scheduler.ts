/**
 * Aggregate mode: each packet goes to the path where it is expected to arrive earliest,
 *
 *   arrival(p) = max(now, paced_until(p)) + bytes / pace(p) + owd(p)
 *
 * where paced_until(p) is when path p's pacer will have let out everything already given to it
 * (its queued bytes / rate) and pace(p) is its capacity estimate times its pacing gain. Idle, the
 * lowest-delay path takes the traffic; as its queue grows, the next path's arrival time
 * wins, and so on: under load every path fills in proportion to its rate, and packets sent
 * back to back arrive roughly in order, which keeps the receiver's reorder buffer short
 * (the "lowest linger time" idea of Linux MPTCP's scheduler, and of ECF and BLEST).
 *
 * `departure` tells the TX worker when the picked packet may leave (pacing). A path whose queue
 * already holds more than `maxQueueMs` of traffic takes nothing more; when every path is that
 * full the packet is dropped, which is the signal the tunnel's TCP flows need to slow down: the
 * bottleneck is then this scheduler, which shares it out by rate, and not one link's queue.
 *
 * Pacing gain cycles per path, as BBR's bandwidth probing does: for one phase it paces at
 * `probeGain` (above 1, so a path that can carry more shows it in its delivery rate, which is
 * how the estimate grows, rate_estimator.ts), for the next at 2 - probeGain (draining the queue
 * the probe built), then at 1 for the rest of the cycle. On average the path is paced at its
 * estimate, so a well-estimated path never builds a standing queue. Paths start their cycles at
 * different phases so they do not all probe at once.
 */
import type { PathTable } from "./path_table.ts";

export interface AggregateOptions {
  /** Pacing gain of the probing phase; the next phase paces at 2 - probeGain. @default 1.25 */
  probeGain?: number;
  /** Length of one pacing phase, ms (about two report intervals). @default 100 */
  phaseMs?: number;
  /** Phases per cycle: one probing, one draining, the rest at gain 1. @default 8 */
  phasesPerCycle?: number;
  /** A path with more than this queued (in ms of sending) takes no more. @default 50 */
  maxQueueMs?: number;
}

export class AggregateScheduler {
  readonly mode = "aggregate";
  drops = 0;
  readonly again = 0;
  /** When the last picked packet may leave (>= now). */
  departure = 0;
  readonly probeGain: number;
  readonly phaseMs: number;
  readonly phasesPerCycle: number;
  readonly maxQueueMs: number;
  readonly #table: PathTable;
  readonly #pacedUntil: Float64Array;

  constructor(table: PathTable, options: AggregateOptions = {}) {
    this.probeGain = options.probeGain ?? 1.25;
    this.phaseMs = options.phaseMs ?? 100;
    this.phasesPerCycle = options.phasesPerCycle ?? 8;
    this.maxQueueMs = options.maxQueueMs ?? 50;
    if (!(this.probeGain >= 1 && this.probeGain < 2)) {
      throw new RangeError(`probeGain must be in [1, 2), got ${this.probeGain}`);
    }
    if (!(this.phaseMs > 0 && this.phaseMs < Infinity)) {
      throw new RangeError(`phaseMs must be a positive number, got ${this.phaseMs}`);
    }
    if (!Number.isInteger(this.phasesPerCycle) || this.phasesPerCycle < 2) {
      throw new RangeError(`phasesPerCycle must be an integer >= 2, got ${this.phasesPerCycle}`);
    }
    if (!(this.maxQueueMs >= 0 && this.maxQueueMs < Infinity)) {
      throw new RangeError(`maxQueueMs must be >= 0, got ${this.maxQueueMs}`);
    }
    this.#table = table;
    this.#pacedUntil = new Float64Array(table.capacity);
  }

  /** Queued traffic on path p, in ms of sending at its pace. */
  queuedMs(now: number, p: number): number {
    return Math.max(0, this.#pacedUntil[p] - now);
  }

  /** Pacing gain of path p at `now`. */
  gain(now: number, p: number): number {
    const phase = (Math.floor(now / this.phaseMs) + 2 * p) % this.phasesPerCycle;
    return phase === 0 ? this.probeGain : phase === 1 ? 2 - this.probeGain : 1;
  }

  pick(now: number, packetBytes: number, _flowHash: number): number {
    const t = this.#table;
    let mask = t.usableMask();
    let best = -1;
    let bestArrival = Infinity;
    let bestStart = now;
    let bestDuration = 0;
    while (mask !== 0) {
      const p = 31 - Math.clz32(mask);
      mask &= ~(1 << p);
      const start = Math.max(now, this.#pacedUntil[p]);
      if (start - now > this.maxQueueMs) continue;
      const bytesPerMs = (t.rate[p] * this.gain(now, p)) / 1000;
      if (!(bytesPerMs > 0)) continue;
      const duration = packetBytes / bytesPerMs;
      const arrival = start + duration + t.owd[p];
      // Ties go to the lower index (configured first).
      if (arrival < bestArrival || (arrival === bestArrival && p < best)) {
        best = p;
        bestArrival = arrival;
        bestStart = start;
        bestDuration = duration;
      }
    }
    if (best < 0) {
      this.drops++;
      return 0;
    }
    this.#pacedUntil[best] = bestStart + bestDuration;
    this.departure = bestStart;
    return 1 << best;
  }
}
