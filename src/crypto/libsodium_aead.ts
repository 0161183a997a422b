/**
 * The transport AEAD over libsodium (crypto_aead_chacha20poly1305_ietf_*) through blocking
 * FFI: the second choice where libcrypto is missing. libsodium's combined mode writes
 * ciphertext then tag, exactly the WireGuard layout, and allows in-place operation, so no
 * copy is needed on either side.
 *
 * Holds no per-call state in the library, but its nonce buffer is per instance: use one
 * instance per thread.
 */
import { checkAeadCall, RawAeadBackend, TAG_BYTES } from "./raw_aead_backend.ts";
import { requireSelfTest } from "./rfc8439_self_check.ts";
import { type LibrarySource, openFirstLibrary } from "./shared_library.ts";

export const LIBSODIUM: LibrarySource = {
  files: ["libsodium.so.23", "libsodium.so"],
  debianPackage: "libsodium23",
  openwrtPackage: "libsodium",
};

const SYMBOLS = {
  /** int sodium_init(void); 0 = initialised now, 1 = already, -1 = failure. */
  sodium_init: { parameters: [], result: "i32" },
  /**
   * int crypto_aead_chacha20poly1305_ietf_encrypt(unsigned char *c,
   *   unsigned long long *clen_p, const unsigned char *m, unsigned long long mlen,
   *   const unsigned char *ad, unsigned long long adlen, const unsigned char *nsec,
   *   const unsigned char *npub, const unsigned char *k);
   */
  crypto_aead_chacha20poly1305_ietf_encrypt: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "u64",
      "buffer",
      "u64",
      "pointer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  /**
   * int crypto_aead_chacha20poly1305_ietf_decrypt(unsigned char *m,
   *   unsigned long long *mlen_p, unsigned char *nsec, const unsigned char *c,
   *   unsigned long long clen, const unsigned char *ad, unsigned long long adlen,
   *   const unsigned char *npub, const unsigned char *k);   -1 when the tag does not verify
   */
  crypto_aead_chacha20poly1305_ietf_decrypt: {
    parameters: [
      "buffer",
      "buffer",
      "pointer",
      "buffer",
      "u64",
      "buffer",
      "u64",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * BigInt lengths for the u64 parameters, made once per distinct length: a plain number would
 * push the call off FFI's fast path, and a fresh BigInt per packet is an allocation. Packet
 * lengths are bounded by the UDP datagram size, so the table stays small.
 */
const U64_CACHE_LIMIT = 65_536 + TAG_BYTES;
const u64Cache: bigint[] = [];
function u64(n: number): bigint {
  if (n > U64_CACHE_LIMIT) return BigInt(n);
  return u64Cache[n] ??= BigInt(n);
}

export class LibsodiumAead extends RawAeadBackend {
  readonly name = "libsodium";
  /** The library file actually opened ("libcrypto.so.3", ...), for status output. */
  readonly libraryFile: string;
  readonly #library: Deno.DynamicLibrary<typeof SYMBOLS>;
  #closed = false;

  private constructor(library: Deno.DynamicLibrary<typeof SYMBOLS>, libraryFile: string) {
    super();
    this.#library = library;
    this.libraryFile = libraryFile;
  }

  /**
   * Opens libsodium (libsodium.so.23, then libsodium.so), initialises it and returns a backend
   * that has passed the RFC 8439 self-test. Throws LibraryUnavailableError when it is missing.
   */
  static load(source: LibrarySource = LIBSODIUM): LibsodiumAead {
    const { library, file } = openFirstLibrary(source, SYMBOLS);
    if (library.symbols.sodium_init() < 0) {
      library.close();
      throw new Error(`${file}: sodium_init() failed`);
    }
    return requireSelfTest(new LibsodiumAead(library, file), file);
  }

  sealRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): void {
    const n = src.length;
    // Checked: the C side would read or write past the JS buffers otherwise.
    checkAeadCall("libsodium seal", this.#closed, key, nonce, dst, n + TAG_BYTES);
    const rc = this.#library.symbols.crypto_aead_chacha20poly1305_ietf_encrypt(
      dst,
      null,
      src,
      u64(n),
      aad,
      u64(aad.length),
      null,
      nonce,
      key,
    );
    // Encryption cannot fail for valid sizes; a failure means a broken library.
    if (rc !== 0) throw new Error("libsodium ChaCha20-Poly1305 seal failed");
  }

  openRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): boolean {
    if (src.length < TAG_BYTES) return false;
    const n = src.length - TAG_BYTES;
    checkAeadCall("libsodium open", this.#closed, key, nonce, dst, n);
    return this.#library.symbols.crypto_aead_chacha20poly1305_ietf_decrypt(
      dst,
      null,
      null,
      src,
      u64(src.length),
      aad,
      u64(aad.length),
      nonce,
      key,
    ) === 0;
  }

  /** Closes the library handle. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#library.close();
  }
}
