/**
 * Redundant mode: every packet on every path that is not down (degraded ones included: loss is
 * what redundancy is for). The copies share one transport counter, so the receiver's replay
 * filter keeps the first to arrive and drops the rest.
 *
 * One copy per path is not always enough: two links that each lose 5 % still lose 0.25 % of
 * the packets together. When the measured losses multiply to more than TARGET_LOSS, paths
 * that have room also carry a second copy (`again`), the least lossy first, until the product
 * is below it. A path has room when its capacity estimate is at least ROOM times what two
 * copies of the traffic take (the rate offered over the last window): a second copy must not
 * fill the path it is meant to make safer. Both copies on one path leave back to back; they
 * are lost independently under random loss, not under a burst that takes both (a path that
 * loses in bursts shows it as a higher loss, and the next path is added).
 */
import type { PathTable } from "./path_table.ts";

/** Effective loss redundant mode aims below: the chance that every copy of a packet is lost. */
export const TARGET_LOSS = 0.001;
/** Capacity a path needs per byte/s of its copies to take a second one. */
const ROOM = 1.25;
/** The offered rate is measured over windows of this length, ms. */
const WINDOW_MS = 100;

export class RedundantScheduler {
  readonly mode = "redundant";
  drops = 0;
  /** Paths that carry a second copy of the packet last picked. */
  again = 0;
  readonly #table: PathTable;
  #windowStart = -Infinity;
  #windowBytes = 0;
  /** Bytes per ms offered over the last whole window. */
  #lastRate = 0;

  constructor(table: PathTable) {
    this.#table = table;
  }

  pick(now: number, packetBytes: number, _flowHash: number): number {
    const t = this.#table;
    if (now - this.#windowStart >= WINDOW_MS) {
      const span = now - this.#windowStart;
      // A window after a pause spans the pause: the traffic starts again from a low estimate.
      this.#lastRate = span < 2 * WINDOW_MS ? this.#windowBytes / span : 0;
      this.#windowStart = now;
      this.#windowBytes = 0;
    }
    this.#windowBytes += packetBytes;
    const mask = t.aliveMask();
    this.again = 0;
    if (mask === 0) {
      this.drops++;
      return 0;
    }
    let residual = 1;
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      residual *= t.loss[31 - Math.clz32(rest & -rest)];
    }
    // Second copies, least lossy path first, while they are needed and some path has room.
    // Bytes per second two copies of the traffic take, by the busier of the last whole window
    // and the current one.
    const need = 2 * ROOM * 1000 * Math.max(this.#lastRate, this.#windowBytes / WINDOW_MS);
    let again = 0;
    while (residual > TARGET_LOSS) {
      let best = -1;
      for (let rest = mask & ~again; rest !== 0; rest &= rest - 1) {
        const p = 31 - Math.clz32(rest & -rest);
        if (t.rate[p] >= need && (best < 0 || t.loss[p] < t.loss[best])) best = p;
      }
      if (best < 0) break;
      again |= 1 << best;
      residual *= t.loss[best];
    }
    this.again = again;
    return mask;
  }
}
