/**
 * The transport AEAD (ChaCha20-Poly1305, RFC 8439, with WireGuard's nonce: 4 zero bytes then
 * the 64-bit little-endian counter) behind one interface, so the data path can use OpenSSL's
 * libcrypto or libsodium through FFI and fall back to @noble/ciphers where neither exists.
 *
 * Counters are JS numbers: exact up to 2^53, far beyond any count a keypair reaches before
 * rekeying; the core rejects larger wire counters before they get here.
 *
 * Buffers are the caller's: nothing is allocated per call. `dst` may be the same memory as
 * `src` (in-place); partial overlap is not allowed.
 */
export interface TransportAead {
  /** Backend name as shown by `bond version` and status: "openssl", "libsodium", "noble". */
  readonly name: string;
  /**
   * Encrypts `src` under `key` (32 bytes) and `counter`, writing ciphertext then the 16-byte
   * tag to `dst` (which must hold src.length + 16 bytes). Empty additional data.
   */
  seal(key: Uint8Array, counter: number, src: Uint8Array, dst: Uint8Array): void;
  /**
   * `seal` in place: encrypts buf[0, length) and writes the tag right after it (`buf` must hold
   * length + 16 bytes, and may be longer). The data path's form: the caller keeps one view per
   * packet buffer and makes none per packet.
   */
  sealInPlace(key: Uint8Array, counter: number, buf: Uint8Array, length: number): void;
  /**
   * Authenticates and decrypts `src` (ciphertext then tag) into `dst` (at least src.length - 16
   * bytes; only those are written).
   * Returns false, leaving `dst` unspecified, when the tag does not verify. Never throws on
   * bad input.
   */
  open(key: Uint8Array, counter: number, src: Uint8Array, dst: Uint8Array): boolean;
}
