/**
 * Packets waiting for a usable keypair (rare path: only while a handshake is in progress).
 * Bounded: when full the oldest packet is dropped, since a fresh packet is worth more to a
 * transport protocol that has probably retransmitted the old one anyway.
 */
export class StagedQueue {
  readonly capacity: number;
  readonly #items: (Uint8Array | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`staged queue capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#items = new Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Stores a copy of `packet`; returns true if an older packet had to be dropped. */
  push(packet: Uint8Array): boolean {
    const copy = packet.slice();
    if (this.#size === this.capacity) {
      this.#items[this.#head] = copy;
      this.#head = (this.#head + 1) % this.capacity;
      return true;
    }
    this.#items[(this.#head + this.#size) % this.capacity] = copy;
    this.#size++;
    return false;
  }

  /** The oldest packet without removing it. */
  peek(): Uint8Array | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  shift(): Uint8Array | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  /** Drops everything; returns how many packets were dropped. */
  clear(): number {
    const n = this.#size;
    while (this.#size > 0) this.shift();
    return n;
  }
}
