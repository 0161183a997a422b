/**
 * Redundant mode: every packet on every path that is not down (degraded ones included: loss is
 * what redundancy is for). The copies share one transport counter, so the receiver's replay
 * filter keeps the first to arrive and drops the rest.
 */
import type { PathTable } from "./path_table.ts";

export class RedundantScheduler {
  readonly mode = "redundant";
  drops = 0;
  readonly #table: PathTable;

  constructor(table: PathTable) {
    this.#table = table;
  }

  pick(_now: number, _packetBytes: number, _flowHash: number): number {
    const mask = this.#table.aliveMask();
    if (mask === 0) this.drops++;
    return mask;
  }
}
