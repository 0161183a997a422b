/**
 * Failover mode: everything on the first up path in configured order; if none is up, the first
 * degraded one. The other paths carry only probes until they are needed. Hysteresis lives in
 * path health, so a flapping primary does not drag traffic back at every blip.
 */
import type { PathTable } from "./path_table.ts";

export class FailoverScheduler {
  readonly mode = "failover";
  drops = 0;
  readonly again = 0;
  readonly #table: PathTable;

  constructor(table: PathTable) {
    this.#table = table;
  }

  pick(_now: number, _packetBytes: number, _flowHash: number): number {
    const mask = this.#table.usableMask();
    if (mask === 0) {
      this.drops++;
      return 0;
    }
    // Lowest set bit: the first usable path in configured order.
    return mask & -mask;
  }
}
