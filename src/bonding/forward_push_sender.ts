/**
 * The router's side of forward sync, sans-IO: it holds the router's `forwards:` as the
 * frames that carry them, numbered by a generation that changes with every new set, and says
 * when to (re)send them. A set is sent at once when it changes or the peer newly bonds, then
 * every FORWARD_RESEND_MS until the peer acknowledges that generation. `resend` starts over
 * (the caller does on every new session with the peer: a restarted VPS has lost the set).
 * The VPS's ack may come in parts (its refusals); the set counts as acknowledged once every
 * part of the current generation is in, and the refusals are kept for status.
 */
import {
  type ForwardAck,
  type ForwardEntry,
  type ForwardRefusal,
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
  /** Ack parts of the current generation gathered so far, by part number. */
  #ackParts: (readonly ForwardRefusal[] | undefined)[] = [];
  #refused: readonly ForwardRefusal[] = [];
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

  /** What the VPS refused of the acknowledged generation, with its reasons. */
  get refused(): readonly ForwardRefusal[] {
    return this.#refused;
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
    this.#ackParts = [];
    this.#refused = [];
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

  /**
   * An ack part for the current generation; once every part is in, the resends stop and the
   * refusals are kept. An older generation's ack is ignored (false); a part of the current one
   * is taken (true) even while others are still missing.
   */
  onAck(ack: Pick<ForwardAck, "generation" | "part" | "parts" | "refused">): boolean {
    if (ack.generation !== this.#generation) return false;
    if (this.#ackParts.length !== ack.parts) this.#ackParts = new Array(ack.parts).fill(undefined);
    this.#ackParts[ack.part] = ack.refused;
    if (this.#ackParts.some((p) => p === undefined)) return true;
    this.#refused = this.#ackParts.flatMap((p) => p ?? []);
    this.#ackParts = [];
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
