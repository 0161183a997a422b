/**
 * Transport keypairs and their rotation (whitepaper section 6; "current/previous/next").
 *
 * - The initiator, on consuming a response, makes the new keypair `current` at once and keeps
 *   the old current as `previous` (packets still in flight under it decrypt).
 * - The responder cannot know the initiator got the response until a packet arrives under the
 *   new keys, so its new keypair waits in `next` and is promoted to `current` only on the first
 *   transport packet received with it. That is why the initiator sends a keepalive right away.
 *
 * These are the control plane's keypairs: lifecycle and zeroing. The sender and the receiver
 * hold their own copies of the keys with the per-packet state (send counter, replay window).
 */

export class Keypair<Owner = unknown> {
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  /** `now` when the session was derived. */
  readonly created: number;
  readonly isInitiator: boolean;
  /** Our index: the receiver index the peer puts on packets for us. */
  readonly localIndex: number;
  /** The peer's index: what we put on packets for it. */
  readonly remoteIndex: number;
  readonly owner: Owner;
  /** Set when zeroed; a zeroed keypair never seals or opens again. */
  destroyed = false;

  constructor(
    owner: Owner,
    keys: {
      sendKey: Uint8Array;
      receiveKey: Uint8Array;
      isInitiator: boolean;
      localIndex: number;
      remoteIndex: number;
    },
    created: number,
  ) {
    this.owner = owner;
    this.sendKey = keys.sendKey;
    this.receiveKey = keys.receiveKey;
    this.isInitiator = keys.isInitiator;
    this.localIndex = keys.localIndex;
    this.remoteIndex = keys.remoteIndex;
    this.created = created;
  }

  destroy(): void {
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
    this.destroyed = true;
  }
}

/** The up-to-three live keypairs of one peer. `retire` is told about every keypair dropped. */
export class KeypairSet<Owner = unknown> {
  current: Keypair<Owner> | undefined;
  previous: Keypair<Owner> | undefined;
  next: Keypair<Owner> | undefined;

  /** Installs a freshly derived keypair according to our handshake role. */
  install(kp: Keypair<Owner>, retire: (kp: Keypair<Owner>) => void): void {
    if (kp.isInitiator) {
      const old = this.previous;
      if (this.next) {
        // An unconfirmed responder keypair is newer than current; keep it as the fallback.
        this.previous = this.next;
        this.next = undefined;
        if (this.current) retire(this.current);
      } else {
        this.previous = this.current;
      }
      if (old) retire(old);
      this.current = kp;
    } else {
      if (this.next) retire(this.next);
      if (this.previous) retire(this.previous);
      this.next = kp;
      this.previous = undefined;
    }
  }

  /**
   * Called for every authenticated transport packet. Promotes `next` when the packet used it;
   * returns true exactly then (the responder's handshake is now confirmed).
   */
  receivedWith(kp: Keypair<Owner>, retire: (kp: Keypair<Owner>) => void): boolean {
    if (kp !== this.next) return false;
    if (this.previous) retire(this.previous);
    this.previous = this.current;
    this.current = kp;
    this.next = undefined;
    return true;
  }

  clear(retire: (kp: Keypair<Owner>) => void): void {
    for (const kp of [this.current, this.previous, this.next]) if (kp) retire(kp);
    this.current = this.previous = this.next = undefined;
  }
}
