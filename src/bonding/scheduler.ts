/**
 * The scheduler picks the path(s) for each packet the TX worker sends. Modes:
 *
 *  - aggregate (default): the path where the packet is expected to arrive first, each path
 *    paced near its measured rate (aggregate_scheduler.ts);
 *  - pinned: each flow on one path, by weight, so a flow never reorders (pinned_scheduler.ts);
 *  - redundant: every packet on every live path, a second copy on some when one each is not
 *    enough against the paths' loss; the receiver keeps the first copy (redundant_scheduler.ts);
 *  - failover: everything on the first usable path in configured order (failover_scheduler.ts).
 *
 * `pick` returns a bitmask of path indexes into the PathTable (bit p = send on path p; one bit
 * except in redundant mode), or 0 to drop the packet (no usable path, or every queue full). It
 * allocates nothing, awaits nothing and throws nothing. `flowHash` (flow_hash.ts) only matters
 * to pinned mode; the others ignore it, so the caller may pass 0 there.
 */
import type { SchedulerMode } from "../config/types.ts";
import { type AggregateOptions, AggregateScheduler } from "./aggregate_scheduler.ts";
import { FailoverScheduler } from "./failover_scheduler.ts";
import type { PathTable } from "./path_table.ts";
import { PinnedScheduler } from "./pinned_scheduler.ts";
import { RedundantScheduler } from "./redundant_scheduler.ts";

export type { SchedulerMode };

export interface Scheduler {
  readonly mode: SchedulerMode;
  /** Packets dropped because no path could take them. */
  readonly drops: number;
  /** Paths that carry a second copy of the packet last picked (redundant mode; else 0). */
  readonly again: number;
  pick(now: number, packetBytes: number, flowHash: number): number;
}

/** The scheduler for `mode` over `table`. */
export function createScheduler(
  mode: SchedulerMode,
  table: PathTable,
  options: AggregateOptions = {},
): Scheduler {
  switch (mode) {
    case "aggregate":
      return new AggregateScheduler(table, options);
    case "pinned":
      return new PinnedScheduler(table);
    case "redundant":
      return new RedundantScheduler(table);
    case "failover":
      return new FailoverScheduler(table);
    default:
      throw new RangeError(`unknown scheduler mode ${mode}`);
  }
}

/** The single path of a one-bit mask (aggregate, pinned, failover). */
export function maskToPath(mask: number): number {
  return 31 - Math.clz32(mask);
}
