/**
 * Receiver indices (whitepaper section 5.4): random 32-bit values we hand out in our handshake
 * messages; the peer puts them on every packet for us, so one Map lookup finds the keypair (or
 * the pending handshake) a packet belongs to. An index is unique among everything live.
 */
export class IndexTable<H, K> {
  readonly handshakes = new Map<number, H>();
  readonly keypairs = new Map<number, K>();
  readonly #scratch = new Uint8Array(4);
  readonly #random: (buf: Uint8Array) => void;

  constructor(random: (buf: Uint8Array) => void) {
    this.#random = random;
  }

  /** A fresh random index not in use, reserved for the handshake owner `h`. */
  allocateHandshake(h: H): number {
    // Bounded retries: a repeat is astronomically unlikely unless `random` is broken.
    for (let attempt = 0; attempt < 1000; attempt++) {
      this.#random(this.#scratch);
      const s = this.#scratch;
      const index = (s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24)) >>> 0;
      if (!this.handshakes.has(index) && !this.keypairs.has(index)) {
        this.handshakes.set(index, h);
        return index;
      }
    }
    throw new Error("could not find a free receiver index: the random source repeats itself");
  }

  /** Moves an index from its handshake to the keypair derived from it. */
  promote(index: number, k: K): void {
    this.handshakes.delete(index);
    this.keypairs.set(index, k);
  }

  deleteHandshake(index: number, h: H): void {
    if (this.handshakes.get(index) === h) this.handshakes.delete(index);
  }

  deleteKeypair(index: number, k: K): void {
    if (this.keypairs.get(index) === k) this.keypairs.delete(index);
  }
}
