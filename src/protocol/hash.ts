/**
 * The hash functions of the WireGuard handshake (whitepaper section 5.4): HASH is BLAKE2s-256,
 * MAC is *keyed* BLAKE2s with a 16-byte digest (the digest length is a BLAKE2 parameter, so this
 * differs from truncating a 32-byte digest), HMAC is RFC 2104 over BLAKE2s (64-byte blocks), and
 * KDF1/2/3 are the HKDF-style chains built from it.
 *
 * These run only during handshakes and cookie checks, so they may allocate.
 */
import { blake2s } from "@noble/hashes/blake2.js";
import { hmac } from "@noble/hashes/hmac.js";

export const HASH_SIZE = 32;

/** HASH(a || b || ...): BLAKE2s-256 over the concatenation of the parts. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = blake2s.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** MAC(key, input): keyed BLAKE2s with a 16-byte digest. */
export function mac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = blake2s.create({ key, dkLen: 16 });
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HMAC(key, input) with BLAKE2s as the hash. */
export function hmacBlake2s(key: Uint8Array, input: Uint8Array): Uint8Array {
  return hmac(blake2s, key, input);
}

const ONE = Uint8Array.of(1);

/**
 * KDF_n(key, input): T0 = HMAC(key, input); T1 = HMAC(T0, 0x1); Ti = HMAC(T0, Ti-1 || i).
 * Returns T1..Tn; T0 (the pseudorandom key) is wiped before returning.
 */
export function kdf(n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Uint8Array[] {
  const prk = hmacBlake2s(key, input);
  const out: Uint8Array[] = [];
  let prev = hmacBlake2s(prk, ONE);
  out.push(prev);
  for (let i = 2; i <= n; i++) {
    const block = new Uint8Array(HASH_SIZE + 1);
    block.set(prev);
    block[HASH_SIZE] = i;
    prev = hmacBlake2s(prk, block);
    out.push(prev);
  }
  prk.fill(0);
  return out;
}

export function kdf1(key: Uint8Array, input: Uint8Array): Uint8Array {
  return kdf(1, key, input)[0];
}

export function kdf2(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  const [a, b] = kdf(2, key, input);
  return [a, b];
}

export function kdf3(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const [a, b, c] = kdf(3, key, input);
  return [a, b, c];
}
