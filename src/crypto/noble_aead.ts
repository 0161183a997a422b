/**
 * TransportAead over @noble/ciphers: pure JavaScript, always available, the slowest backend
 * (tens of thousands of packets per second), used where no native library can be loaded.
 *
 * It composes the ChaCha20 stream and Poly1305 itself (RFC 8439 section 2.8) instead of using
 * the library's AEAD object, so that a bad tag is a `false` return rather than an exception,
 * encryption can work in place, and the nonce and length blocks are reused scratch buffers.
 * The library still allocates a little internally per call.
 *
 * `sealRaw`/`openRaw` take any 12-byte nonce and additional data: the transport methods are
 * thin wrappers over them, and the RFC 8439 vectors (whose nonces and AAD do not have
 * WireGuard's shape) test them directly.
 */
import { chacha20 } from "@noble/ciphers/chacha.js";
import { Poly1305 } from "@noble/ciphers/_poly1305.js";
import { RawAeadBackend, TAG_BYTES as TAG } from "./raw_aead_backend.ts";

export class NobleAead extends RawAeadBackend {
  readonly name = "noble";
  readonly #otk = new Uint8Array(32);
  readonly #zeros = new Uint8Array(32);
  readonly #lengths = new Uint8Array(16);
  readonly #tag = new Uint8Array(TAG);
  /** Views of 0..15 zero bytes, made once so padding never creates a view per packet. */
  readonly #pads = Array.from({ length: 16 }, (_, i) => this.#zeros.subarray(0, i));

  /** RFC 8439 AEAD encryption: ciphertext then tag into `dst` (src.length + 16 bytes). */
  sealRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): void {
    const n = src.length;
    const body = dst.subarray(0, n);
    // Block counter 1 onwards encrypts; block 0 is the Poly1305 one-time key (section 2.6).
    chacha20(key, nonce, src, body, 1);
    this.#computeTag(key, nonce, aad, body);
    dst.set(this.#tag, n);
  }

  /** RFC 8439 AEAD decryption; false (and `dst` untouched) when the tag does not verify. */
  openRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): boolean {
    const n = src.length - TAG;
    if (n < 0 || dst.length < n) return false;
    const body = src.subarray(0, n);
    this.#computeTag(key, nonce, aad, body);
    // Constant-time comparison: the time taken must not reveal how many tag bytes matched.
    let diff = 0;
    for (let i = 0; i < TAG; i++) diff |= this.#tag[i] ^ src[n + i];
    if (diff !== 0) return false;
    chacha20(key, nonce, body, dst.subarray(0, n), 1);
    return true;
  }

  /** Poly1305 over aad || pad16 || ciphertext || pad16 || le64(len aad) || le64(len ct). */
  #computeTag(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): void {
    chacha20(key, nonce, this.#zeros, this.#otk, 0);
    const mac = new Poly1305(this.#otk);
    this.#updatePadded(mac, aad);
    this.#updatePadded(mac, ciphertext);
    const lengths = this.#lengths;
    writeLength(lengths, 0, aad.length);
    writeLength(lengths, 8, ciphertext.length);
    mac.update(lengths);
    mac.digestInto(this.#tag);
    this.#otk.fill(0);
  }

  #updatePadded(mac: Poly1305, data: Uint8Array): void {
    if (data.length === 0) return;
    mac.update(data);
    const rem = data.length % 16;
    if (rem !== 0) mac.update(this.#pads[16 - rem]);
  }
}

/** Lengths are below 2^32 here (datagrams), so the high four bytes stay zero. */
function writeLength(out: Uint8Array, at: number, len: number): void {
  out[at] = len;
  out[at + 1] = len >>> 8;
  out[at + 2] = len >>> 16;
  out[at + 3] = len >>> 24;
  out[at + 4] =
    out[at + 5] =
    out[at + 6] =
    out[at + 7] =
      0;
}
