/**
 * The known-answer check every FFI backend passes when it is loaded: a library that loads but
 * computes something else (a wrong build, a wrong symbol signature on this platform) must never
 * carry traffic, because a stock WireGuard peer would silently drop everything it sends.
 */

/** ChaCha20-Poly1305 with an explicit 12-byte nonce and additional data (RFC 8439 §2.8). */
export interface RawAead {
  /** Writes ciphertext then the 16-byte tag to `dst` (src.length + 16 bytes). */
  sealRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): void;
  /** Verifies and decrypts `src` (ciphertext then tag) into `dst`; false if the tag fails. */
  openRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): boolean;
}

function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** RFC 8439 §2.8.2, "Example and Test Vector for AEAD_CHACHA20_POLY1305". */
export const RFC8439_AEAD_VECTOR = {
  key: hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
  nonce: hex("07000000 4041424344454647"),
  aad: hex("50515253c0c1c2c3c4c5c6c7"),
  plaintext: new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
      "future, sunscreen would be it.",
  ),
  ciphertext: hex(
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
      "3ff4def08e4b7a9de576d26586cec64b6116",
  ),
  tag: hex("1ae10b594f09e26a7e902ecbd0600691"),
} as const;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * True when `aead` seals the RFC vector to the published ciphertext and tag, opens it back to
 * the plaintext, and refuses it once one tag bit is flipped. Runs once per load, not per packet.
 */
export function passesRfc8439SelfTest(aead: RawAead): boolean {
  const v = RFC8439_AEAD_VECTOR;
  const n = v.plaintext.length;
  const sealed = new Uint8Array(n + 16);
  aead.sealRaw(v.key, v.nonce, v.aad, v.plaintext, sealed);
  if (!equalBytes(sealed.subarray(0, n), v.ciphertext)) return false;
  if (!equalBytes(sealed.subarray(n), v.tag)) return false;
  const opened = new Uint8Array(n);
  if (!aead.openRaw(v.key, v.nonce, v.aad, sealed, opened)) return false;
  if (!equalBytes(opened, v.plaintext)) return false;
  sealed[n] ^= 0x01;
  return !aead.openRaw(v.key, v.nonce, v.aad, sealed, opened);
}

/**
 * Returns `backend` when it passes the self-test; otherwise releases it and throws, so a
 * miscomputing library is rejected at load rather than used.
 */
export function requireSelfTest<T extends RawAead & { readonly name: string; close(): void }>(
  backend: T,
  libraryFile: string,
): T {
  let ok = false;
  try {
    ok = passesRfc8439SelfTest(backend);
  } catch {
    ok = false;
  }
  if (!ok) {
    backend.close();
    throw new Error(
      `crypto backend "${backend.name}" (${libraryFile}) failed the RFC 8439 ChaCha20-Poly1305 ` +
        `self-test; not using it`,
    );
  }
  return backend;
}
