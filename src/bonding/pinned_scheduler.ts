/**
 * Pinned mode: each flow (5-tuple hash, flow_hash.ts) stays on one path, chosen by weighted
 * rendezvous hashing: every usable path scores the flow with -weight / ln(u), u a uniform
 * number from hash(flow, path id), and the highest score wins. Paths win flows in proportion
 * to their weights, and when a path leaves or joins only the flows that were on it (or that it
 * now wins) move; every other flow keeps its path, so TCP flows see no reordering from
 * unrelated path changes. A path leaves when it goes down, not when it is degraded (below).
 * Keyed on the path's stable id, not its table index.
 */
import type { PathTable } from "./path_table.ts";

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class PinnedScheduler {
  readonly mode = "pinned";
  drops = 0;
  readonly again = 0;
  readonly #table: PathTable;

  constructor(table: PathTable) {
    this.#table = table;
  }

  pick(_now: number, _packetBytes: number, flowHash: number): number {
    const t = this.#table;
    // Every path not down, degraded ones too: a flow fills its own path to loss by design (its
    // congestion control answers that loss, as a split subflow's does), and that loss would
    // otherwise mark a slow path degraded and move all its flows to the others.
    let mask = t.aliveMask();
    if (mask === 0) {
      this.drops++;
      return 0;
    }
    let best = -1;
    let bestScore = -Infinity;
    while (mask !== 0) {
      const p = 31 - Math.clz32(mask);
      mask &= ~(1 << p);
      const h = mix32((flowHash ^ mix32(t.id[p] + 0x9e3779b9)) >>> 0);
      // (h + 0.5) / 2^32 lies strictly inside (0, 1), so the logarithm is finite and negative.
      const score = -t.weight[p] / Math.log((h + 0.5) / 4294967296);
      if (score > bestScore) {
        best = p;
        bestScore = score;
      }
    }
    return 1 << best;
  }
}
