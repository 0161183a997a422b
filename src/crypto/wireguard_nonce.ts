/**
 * WireGuard's 12-byte transport nonce: 4 zero bytes, then the 64-bit counter little-endian.
 * One instance per backend instance, rewritten for every packet, so the data path never
 * allocates a nonce.
 */
export class WireGuardNonce {
  /** The nonce bytes; valid after `set`. Borrowed by the backend for one call. */
  readonly bytes: Uint8Array<ArrayBufferLike>;
  readonly #view: DataView;

  /** @param bytes where to write the nonce (12 bytes; a backend's own buffer), else a new one */
  constructor(bytes: Uint8Array<ArrayBufferLike> = new Uint8Array(12)) {
    if (bytes.length !== 12) throw new RangeError(`a nonce is 12 bytes, got ${bytes.length}`);
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, 12);
  }

  /**
   * Writes `counter` (an integer 0..2^53) and returns the bytes. The two halves are written
   * separately because JS bit operations are 32-bit. The first 4 bytes are zeroed each time:
   * a buffer shared with raw calls may hold another nonce's.
   */
  set(counter: number): Uint8Array<ArrayBufferLike> {
    this.#view.setUint32(0, 0, true);
    this.#view.setUint32(4, counter >>> 0, true);
    this.#view.setUint32(8, Math.floor(counter / 0x1_0000_0000), true);
    return this.bytes;
  }
}
