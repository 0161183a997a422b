/**
 * The age and message limits of a transport keypair (whitepaper section 6), as pure checks.
 * The sender, the receiver and the control plane each ask them about their own copy of a
 * keypair, with the same (possibly test-shortened) protocol timers.
 */
import type { ProtocolTimers } from "./timers.ts";

export class KeyLimits {
  readonly #t: ProtocolTimers;

  constructor(timers: ProtocolTimers) {
    this.#t = timers;
  }

  /** Whether a keypair may still seal: not too old, counter not exhausted. */
  canSend(now: number, created: number, sendCounter: number): boolean {
    return now - created < this.#t.rejectAfterTime && sendCounter < this.#t.rejectAfterMessages;
  }

  /** Whether a keypair may still open packets. */
  canReceive(now: number, created: number): boolean {
    return now - created < this.#t.rejectAfterTime;
  }

  /** Whether the initiator should rekey before sending on a keypair of this age and count. */
  shouldRekeyOnSend(now: number, created: number, sendCounter: number): boolean {
    return sendCounter > this.#t.rekeyAfterMessages || now - created > this.#t.rekeyAfterTime;
  }

  /**
   * Whether the initiator should rekey on receiving under a keypair this old: if it waited for
   * its own next send it might be too late (the peer would already reject the keys).
   */
  shouldRekeyOnReceive(now: number, created: number): boolean {
    return now - created >
      this.#t.rejectAfterTime - this.#t.keepaliveTimeout - this.#t.rekeyTimeout;
  }

  /** Replay windows reject counters at or above this. */
  get rejectAfterMessages(): number {
    return this.#t.rejectAfterMessages;
  }
}
