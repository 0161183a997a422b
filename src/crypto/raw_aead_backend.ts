/**
 * What every ChaCha20-Poly1305 backend shares: the transport methods are WireGuard's nonce
 * layout over a general RFC 8439 AEAD (`sealRaw`/`openRaw`, which the RFC vectors test with
 * their own nonces and AAD), and the FFI backends' argument checks, which keep C from reading
 * or writing past the JS buffers.
 */
import type { TransportAead } from "./aead.ts";
import type { RawAead } from "./rfc8439_self_check.ts";
import { WireGuardNonce } from "./wireguard_nonce.ts";

export const KEY_BYTES = 32;
export const TAG_BYTES = 16;
export const NO_AAD = new Uint8Array(0);

export abstract class RawAeadBackend implements TransportAead, RawAead {
  abstract readonly name: string;
  readonly #nonce = new WireGuardNonce();

  seal(key: Uint8Array, counter: number, src: Uint8Array, dst: Uint8Array): void {
    this.sealRaw(key, this.#nonce.set(counter), NO_AAD, src, dst);
  }

  /** By views of `buf`; a backend whose calls take the buffer and a length overrides it. */
  sealInPlace(key: Uint8Array, counter: number, buf: Uint8Array, length: number): void {
    this.seal(key, counter, buf.subarray(0, length), buf.subarray(0, length + TAG_BYTES));
  }

  open(key: Uint8Array, counter: number, src: Uint8Array, dst: Uint8Array): boolean {
    return this.openRaw(key, this.#nonce.set(counter), NO_AAD, src, dst);
  }

  abstract sealRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): void;

  abstract openRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): boolean;
}

/**
 * Throws a RangeError naming what is wrong unless the backend is open, the key and nonce have
 * their sizes and `dst` holds `need` bytes. Programming errors, never packet problems: packets
 * too short to carry a tag are refused by the caller before this.
 */
export function checkAeadCall(
  what: string,
  closed: boolean,
  key: Uint8Array,
  nonce: Uint8Array,
  dst: Uint8Array,
  need: number,
): void {
  if (closed || key.length !== KEY_BYTES || nonce.length !== 12 || dst.length < need) {
    throw new RangeError(
      `${what}: want an open backend, a 32-byte key, 12-byte nonce and dst >= ${need} bytes; ` +
        `got closed=${closed} key=${key.length} nonce=${nonce.length} dst=${dst.length}`,
    );
  }
}
