/**
 * Curve25519 Diffie-Hellman for the handshake (whitepaper section 5.4: DH, DH-GENERATE).
 * Randomness comes only from the injected function, so the core stays deterministic in tests.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { clamp } from "./keys.ts";

export interface DhKeypair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function dhGenerate(random: (buf: Uint8Array) => void): DhKeypair {
  const privateKey = new Uint8Array(32);
  random(privateKey);
  clamp(privateKey);
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

/**
 * DH(private, public). Returns undefined when the result is the all-zero value (a low-order
 * public key): such a key would make the shared secret predictable, so the handshake must fail.
 */
export function dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  try {
    const shared = x25519.getSharedSecret(privateKey, publicKey);
    let acc = 0;
    for (let i = 0; i < shared.length; i++) acc |= shared[i];
    return acc === 0 ? undefined : shared;
  } catch {
    // The library refuses low-order points itself; same meaning as the zero check above.
    return undefined;
  }
}
