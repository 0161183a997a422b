/**
 * The router's side of forward sync, sans-IO: it holds the router's `forwards:` as the
 * frames that carry them, numbered by a generation that changes with every new set, and says
 * when to (re)send them. A set is sent at once when it changes or the peer newly bonds, then
 * every FORWARD_RESEND_MS until the peer acknowledges that generation. `resend` starts over
 * (the caller does on every new session with the peer: a restarted VPS has lost the set).
 */
import {
  type ForwardEntry,
  type ForwardSync,
  MAX_FORWARDS_PER_FRAME,
} from "./control_frame_types.ts";

/** How long an unacknowledged set waits before it is sent again. */
export const FORWARD_RESEND_MS = 30_000;
const U32_LIMIT = 2 ** 32;

function canonical(forwards: readonly ForwardEntry[]): string {
  return JSON.stringify(forwards.map((f) => [f.proto, f.port, f.to.toString()]));
}

export class ForwardPushSender {
  #generation: number;
  #frames: ForwardSync[] = [];
  #key = canonical([]);
  #acked = false;
  #nextSendAt = 0;
  sends = 0;

  /** `firstGeneration`: random per start, so a restarted router never repeats an old number. */
  constructor(firstGeneration: number) {
    this.#generation = firstGeneration % U32_LIMIT;
    this.#build([]);
  }

  get generation(): number {
    return this.#generation;
  }

  get acked(): boolean {
    return this.#acked;
  }

  /** A new set: a new generation sent at the next tick. The same set again changes nothing. */
  set(forwards: readonly ForwardEntry[]): boolean {
    const key = canonical(forwards);
    if (key === this.#key) return false;
    this.#generation = (this.#generation + 1) % U32_LIMIT;
    this.#build(forwards);
    this.#key = key;
    this.#acked = false;
    this.#nextSendAt = 0;
    return true;
  }

  /** A new session with the peer: whatever it held may be gone (it restarted), so send again. */
  resend(): void {
    this.#acked = false;
    this.#nextSendAt = 0;
  }

  /** The frames to send now (all parts of the current generation), or none. */
  due(now: number): readonly ForwardSync[] {
    if (this.#acked || now < this.#nextSendAt) return [];
    this.#nextSendAt = now + FORWARD_RESEND_MS;
    this.sends++;
    return this.#frames;
  }

  /** An ack for the current generation stops the resends; an older one is ignored. */
  onAck(generation: number): boolean {
    if (generation !== this.#generation) return false;
    this.#acked = true;
    return true;
  }

  #build(forwards: readonly ForwardEntry[]): void {
    const parts = Math.max(1, Math.ceil(forwards.length / MAX_FORWARDS_PER_FRAME));
    this.#frames = Array.from({ length: parts }, (_, part) => ({
      type: "forward-sync" as const,
      generation: this.#generation,
      part,
      parts,
      forwards: forwards.slice(part * MAX_FORWARDS_PER_FRAME, (part + 1) * MAX_FORWARDS_PER_FRAME),
    }));
  }
}
