/**
 * WireGuard's 12-byte transport nonce: 4 zero bytes, then the 64-bit counter little-endian.
 * One instance per backend instance, rewritten for every packet, so the data path never
 * allocates a nonce.
 */
export class WireGuardNonce {
  /** The nonce bytes; valid after `set`. Borrowed by the backend for one call. */
  readonly bytes = new Uint8Array(12);
  readonly #view = new DataView(this.bytes.buffer);

  /**
   * Writes `counter` (an integer 0..2^53) and returns the bytes. The two halves are written
   * separately because JS bit operations are 32-bit; the first 4 bytes stay zero forever.
   */
  set(counter: number): Uint8Array {
    this.#view.setUint32(4, counter >>> 0, true);
    this.#view.setUint32(8, Math.floor(counter / 0x1_0000_0000), true);
    return this.bytes;
  }
}
