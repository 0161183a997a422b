/**
 * The VPS's side of forward sync, sans-IO: it gathers the parts of one peer's forward-sync
 * generation and yields the whole set once every part is in. Parts of an older generation
 * arriving late are dropped when a newer generation has started; a generation already
 * delivered is delivered again when re-sent (the ack may have been lost), and the forward
 * table treats the same set as no change.
 */
import type { ForwardEntry, ForwardSync } from "./control_frame_types.ts";

interface Gathering {
  generation: number;
  parts: (ForwardEntry[] | undefined)[];
  missing: number;
}

export class ForwardPushReceiver {
  readonly #peers = new Map<number, Gathering>();

  /** The complete set when `frame` was its last missing part, else undefined. */
  onSync(peer: number, frame: ForwardSync): ForwardEntry[] | undefined {
    let g = this.#peers.get(peer);
    if (g === undefined || g.generation !== frame.generation || g.parts.length !== frame.parts) {
      g = {
        generation: frame.generation,
        parts: new Array(frame.parts).fill(undefined),
        missing: frame.parts,
      };
      this.#peers.set(peer, g);
    }
    if (g.parts[frame.part] === undefined) g.missing--;
    g.parts[frame.part] = frame.forwards;
    if (g.missing > 0) return undefined;
    const whole = g.parts.flatMap((p) => p ?? []);
    // A re-send of this generation starts gathering afresh.
    this.#peers.delete(peer);
    return whole;
  }
}
