/**
 * Curve25519 keys in WireGuard's text form: 32 bytes, standard base64 (44 characters),
 * the same as `wg genkey` / `wg pubkey`.
 */
import { x25519 } from "@noble/curves/ed25519.js";

export const KEY_LENGTH = 32;

/** A fresh clamped private key from the system CSPRNG. */
export function generatePrivateKey(): Uint8Array {
  const key = crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
  clamp(key);
  return key;
}

/** The X25519 public key of `privateKey`. */
export function publicKey(privateKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateKey);
}

/** Clamps a private key in place as RFC 7748 and `wg genkey` do. */
export function clamp(key: Uint8Array): void {
  key[0] &= 248;
  key[31] = (key[31] & 127) | 64;
}

export function encodeKey(key: Uint8Array): string {
  if (key.length !== KEY_LENGTH) throw new RangeError(`key must be 32 bytes, got ${key.length}`);
  let bin = "";
  for (const b of key) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Parses a base64 key; throws a RangeError saying what is wrong with it. */
export function decodeKey(text: string): Uint8Array {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(t)) {
    throw new RangeError(
      `not a WireGuard key: want 44 characters of base64 encoding 32 bytes, got ${t.length} characters`,
    );
  }
  const bin = atob(t);
  const out = new Uint8Array(KEY_LENGTH);
  for (let i = 0; i < KEY_LENGTH; i++) out[i] = bin.charCodeAt(i);
  return out;
}
