/**
 * The transport AEAD over OpenSSL's libcrypto (EVP ChaCha20-Poly1305) through blocking FFI:
 * the fastest backend measured on our machines, and present on every Debian VPS and on
 * OpenWrt with libopenssl.
 *
 * One instance owns two cipher contexts (seal, open), so it must be used from one thread only:
 * each data-path Worker loads its own. Per packet it sets the nonce (and the key only when it
 * differs from the one the context holds), streams the data and moves the tag through a
 * parameter list built once. OpenSSL 3's generic calls cost more per packet than 1400 bytes
 * of ChaCha20-Poly1305 do: `EVP_CIPHER_CTX_ctrl` builds a parameter list and looks it up by
 * name on every call (about 350 ns), `EVP_CIPHER_CTX_get_params`/`set_params` with a
 * prebuilt list about 85 ns; a nonce-only init saves the key-length lookup (about 200 ns).
 * The nonce, tag and out-parameters sit at fixed addresses and are passed as pointers; only
 * the packet's own bytes (and a new key) go as typed arrays.
 */
import { checkAeadCall, KEY_BYTES, NO_AAD, RawAeadBackend, TAG_BYTES } from "./raw_aead_backend.ts";
import { requireSelfTest } from "./rfc8439_self_check.ts";
import { type LibrarySource, openFirstLibrary } from "./shared_library.ts";
import { WireGuardNonce } from "./wireguard_nonce.ts";

export const LIBCRYPTO: LibrarySource = {
  files: ["libcrypto.so.3", "libcrypto.so"],
  debianPackage: "libssl3",
  openwrtPackage: "libopenssl3",
};

const SYMBOLS = {
  /** EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void); */
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  /** void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *ctx); */
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  /** const EVP_CIPHER *EVP_chacha20_poly1305(void); */
  EVP_chacha20_poly1305: { parameters: [], result: "pointer" },
  /**
   * int EVP_CipherInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type, ENGINE *impl,
   *                       const unsigned char *key, const unsigned char *iv, int enc);
   */
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "pointer", "i32"],
    result: "i32",
  },
  /**
   * int EVP_CipherUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl,
   *                      const unsigned char *in, int inl);
   */
  EVP_CipherUpdate: {
    parameters: ["pointer", "buffer", "pointer", "buffer", "i32"],
    result: "i32",
  },
  /** int EVP_CipherFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *outm, int *outl); */
  EVP_CipherFinal_ex: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  /** int EVP_CIPHER_CTX_get_params(EVP_CIPHER_CTX *ctx, OSSL_PARAM params[]); */
  EVP_CIPHER_CTX_get_params: { parameters: ["pointer", "pointer"], result: "i32" },
  /** int EVP_CIPHER_CTX_set_params(EVP_CIPHER_CTX *ctx, const OSSL_PARAM params[]); */
  EVP_CIPHER_CTX_set_params: { parameters: ["pointer", "pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** OSSL_CIPHER_PARAM_AEAD_TAG (openssl/core_names.h), NUL-terminated. */
const TAG_PARAM_NAME = "tag\0";
/** OSSL_PARAM_OCTET_STRING (openssl/core.h). */
const OSSL_PARAM_OCTET_STRING = 5;
/** OSSL_PARAM_UNMODIFIED: return_size before a call. */
const OSSL_PARAM_UNMODIFIED = 0xffff_ffff_ffff_ffffn;
/**
 * struct OSSL_PARAM { const char *key; unsigned int data_type; void *data; size_t data_size;
 * size_t return_size; }: five 8-byte words on the 64-bit targets Deno runs on. A list ends
 * with an all-zero entry.
 */
const OSSL_PARAM_WORDS = 5;
/** Where the backend's buffers sit in its arena. */
const TAG_AT = 0;
const NAME_AT = 16;
const NONCE_AT = 32;
const OUT_LENGTH_AT = 48;
const FINAL_AT = 64;
const PARAMS_AT = 128;
const ARENA_BYTES = PARAMS_AT + 2 * OSSL_PARAM_WORDS * 8;
/** `enc` argument of EVP_CipherInit_ex. */
const DECRYPT = 0;
const ENCRYPT = 1;
export class OpenSslAead extends RawAeadBackend {
  readonly name = "openssl";
  /** The library file actually opened ("libcrypto.so.3", ...), for status output. */
  readonly libraryFile: string;
  readonly #library: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #sealer: CipherContext;
  readonly #opener: CipherContext;
  /**
   * The backend's own buffers live in one off-heap arena and go to libcrypto as pointers made
   * once: a typed-array ("buffer") argument costs the FFI call about 40 ns more each.
   */
  readonly #tag: Uint8Array;
  readonly #nonce: Uint8Array;
  /** WireGuard's nonce written straight into #nonce (sealInPlace, open). */
  readonly #transportNonce: WireGuardNonce;
  readonly #noncePointer: Deno.PointerValue;
  readonly #outLengthPointer: Deno.PointerValue;
  readonly #finalPointer: Deno.PointerValue;
  /** A one-entry OSSL_PARAM list naming the tag buffer. */
  readonly #tagParams: Deno.PointerValue;
  #closed = false;

  private constructor(library: Deno.DynamicLibrary<typeof SYMBOLS>, libraryFile: string) {
    super();
    this.#library = library;
    this.libraryFile = libraryFile;
    // An explicit ArrayBuffer has an off-heap backing store that never moves, so pointers into
    // it stay valid (small typed arrays may live on V8's heap, and move).
    const arena = new ArrayBuffer(ARENA_BYTES);
    const pointer = (offset: number, length: number) =>
      Deno.UnsafePointer.of(new Uint8Array(arena, offset, length));
    this.#tag = new Uint8Array(arena, TAG_AT, TAG_BYTES);
    this.#nonce = new Uint8Array(arena, NONCE_AT, 12);
    this.#transportNonce = new WireGuardNonce(this.#nonce);
    this.#noncePointer = pointer(NONCE_AT, 12);
    // int *outl of the EVP calls; its value is not needed (ChaCha20 is a stream cipher).
    this.#outLengthPointer = pointer(OUT_LENGTH_AT, 4);
    // EVP_CipherFinal_ex's output: a stream cipher writes nothing there, but it must be valid.
    this.#finalPointer = pointer(FINAL_AT, 32);
    new Uint8Array(arena, NAME_AT, TAG_PARAM_NAME.length).set(
      new TextEncoder().encode(TAG_PARAM_NAME),
    );
    const list = new BigUint64Array(arena, PARAMS_AT, 2 * OSSL_PARAM_WORDS);
    list[0] = BigInt(Deno.UnsafePointer.value(pointer(NAME_AT, TAG_PARAM_NAME.length)));
    list[1] = BigInt(OSSL_PARAM_OCTET_STRING);
    list[2] = BigInt(Deno.UnsafePointer.value(pointer(TAG_AT, TAG_BYTES)));
    list[3] = BigInt(TAG_BYTES);
    list[4] = OSSL_PARAM_UNMODIFIED;
    this.#tagParams = pointer(PARAMS_AT, 2 * OSSL_PARAM_WORDS * 8);
    const s = library.symbols;
    const cipher = s.EVP_chacha20_poly1305();
    this.#sealer = new CipherContext(s, ENCRYPT);
    this.#opener = new CipherContext(s, DECRYPT);
    // Bind the cipher once; per packet only the key and nonce are set.
    const bound = cipher !== null && this.#sealer.bind(cipher) && this.#opener.bind(cipher);
    if (!bound) {
      this.#freeContexts();
      throw new Error("libcrypto: could not set up a ChaCha20-Poly1305 cipher context");
    }
  }

  /**
   * Opens libcrypto (libcrypto.so.3, then libcrypto.so), and returns a backend that has passed
   * the RFC 8439 self-test. Throws LibraryUnavailableError when the library is missing.
   */
  static load(source: LibrarySource = LIBCRYPTO): OpenSslAead {
    const { library, file } = openFirstLibrary(source, SYMBOLS);
    let backend: OpenSslAead;
    try {
      backend = new OpenSslAead(library, file);
    } catch (err) {
      library.close();
      throw err;
    }
    return requireSelfTest(backend, file);
  }

  sealRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): void {
    const n = src.length;
    // Checked: the C side would read or write past the JS buffers (or use freed contexts).
    checkAeadCall("openssl seal", this.#closed, key, nonce, dst, n + TAG_BYTES);
    this.#nonce.set(nonce);
    this.#seal(key, aad, src, dst, n);
  }

  /** The counter goes straight into the nonce in the arena, and `buf` to libcrypto whole. */
  override sealInPlace(key: Uint8Array, counter: number, buf: Uint8Array, length: number): void {
    checkAeadCall("openssl seal", this.#closed, key, this.#nonce, buf, length + TAG_BYTES);
    this.#transportNonce.set(counter);
    this.#seal(key, NO_AAD, buf, buf, length);
  }

  /** Seals src[0, n) into dst with the nonce in the arena; the tag goes to dst[n, n + 16). */
  #seal(key: Uint8Array, aad: Uint8Array, src: Uint8Array, dst: Uint8Array, n: number): void {
    const s = this.#library.symbols;
    const ctx = this.#sealer.ctx;
    const outl = this.#outLengthPointer;
    let ok = this.#sealer.start(key, this.#noncePointer, aad, outl);
    // An empty update is skipped: a zero-length view may not have a valid data pointer.
    if (n > 0) ok &= s.EVP_CipherUpdate(ctx, dst, outl, src, n);
    ok &= s.EVP_CipherFinal_ex(ctx, this.#finalPointer, outl);
    ok &= s.EVP_CIPHER_CTX_get_params(ctx, this.#tagParams);
    // Only a broken library fails here (the inputs were checked above): sending a packet
    // with a garbage tag would be worse than stopping.
    if (ok !== 1) throw new Error("libcrypto ChaCha20-Poly1305 seal failed");
    dst.set(this.#tag, n);
  }

  openRaw(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
  ): boolean {
    if (src.length < TAG_BYTES) return false;
    checkAeadCall("openssl open", this.#closed, key, nonce, dst, src.length - TAG_BYTES);
    this.#nonce.set(nonce);
    return this.#open(key, aad, src, dst);
  }

  /** The counter goes straight into the nonce in the arena, as in sealInPlace. */
  override open(key: Uint8Array, counter: number, src: Uint8Array, dst: Uint8Array): boolean {
    if (src.length < TAG_BYTES) return false;
    checkAeadCall("openssl open", this.#closed, key, this.#nonce, dst, src.length - TAG_BYTES);
    this.#transportNonce.set(counter);
    return this.#open(key, NO_AAD, src, dst);
  }

  /** Opens src (ciphertext, then the tag) into dst with the nonce in the arena. */
  #open(key: Uint8Array, aad: Uint8Array, src: Uint8Array, dst: Uint8Array): boolean {
    const n = src.length - TAG_BYTES;
    const tag = this.#tag;
    // Copied into a preallocated buffer: handing libcrypto a view of src's tail would
    // allocate a subarray per packet.
    for (let i = 0; i < TAG_BYTES; i++) tag[i] = src[n + i];
    const s = this.#library.symbols;
    const ctx = this.#opener.ctx;
    const outl = this.#outLengthPointer;
    let ok = this.#opener.start(key, this.#noncePointer, aad, outl);
    if (n > 0) ok &= s.EVP_CipherUpdate(ctx, dst, outl, src, n);
    ok &= s.EVP_CIPHER_CTX_set_params(ctx, this.#tagParams);
    // EVP_CipherFinal_ex is where the tag is compared (in constant time).
    ok &= s.EVP_CipherFinal_ex(ctx, this.#finalPointer, outl);
    return ok === 1;
  }

  /** Frees the cipher contexts and closes the library handle. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#freeContexts();
    this.#library.close();
  }

  #freeContexts(): void {
    this.#closed = true;
    this.#sealer.free();
    this.#opener.free();
  }
}

/**
 * One direction's cipher context and the key it was last given: an init with that same key
 * sets only the nonce.
 */
class CipherContext {
  readonly ctx: Deno.PointerValue;
  readonly #symbols: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
  readonly #enc: number;
  readonly #key = new Uint8Array(KEY_BYTES);
  #keyed = false;

  constructor(symbols: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"], enc: number) {
    this.#symbols = symbols;
    this.#enc = enc;
    this.ctx = symbols.EVP_CIPHER_CTX_new();
  }

  /** Binds the cipher to the context; false if either is missing or libcrypto refuses. */
  bind(cipher: Deno.PointerValue): boolean {
    return this.ctx !== null &&
      this.#symbols.EVP_CipherInit_ex(this.ctx, cipher, null, null, null, this.#enc) === 1;
  }

  /** Starts a message: the nonce (and the key if it changed), then the additional data. */
  start(key: Uint8Array, nonce: Deno.PointerValue, aad: Uint8Array, outl: Deno.PointerValue) {
    const s = this.#symbols;
    const rekey = !this.#keyed || !sameKey(key, this.#key);
    let ok = s.EVP_CipherInit_ex(this.ctx, null, null, rekey ? key : null, nonce, this.#enc);
    if (rekey) {
      this.#key.set(key);
      this.#keyed = ok === 1;
    }
    if (aad.length > 0) ok &= s.EVP_CipherUpdate(this.ctx, null, outl, aad, aad.length);
    return ok;
  }

  /** Zeroes the key copy and frees the context. */
  free(): void {
    this.#key.fill(0);
    this.#keyed = false;
    if (this.ctx !== null) this.#symbols.EVP_CIPHER_CTX_free(this.ctx);
  }
}

/**
 * Whether two 32-byte keys are equal. The time taken tells where the packet's key and the
 * previous one first differ: both are outputs of our own key derivation, not a peer's choice.
 */
function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < KEY_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}
