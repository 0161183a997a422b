/**
 * Choosing the transport AEAD backend: the fastest one that loads and passes its self-test
 * (libcrypto, then libsodium), with pure-TypeScript noble as the fallback that always works.
 * An explicit preference is honoured or refused, never silently replaced, so a user who asked
 * for "openssl" learns which package is missing instead of running twenty times slower.
 */
import type { TransportAead } from "./aead.ts";
import { LibsodiumAead } from "./libsodium_aead.ts";
import { OpenSslAead } from "./openssl_aead.ts";

export type AeadBackendName = "openssl" | "libsodium" | "noble";
export type AeadPreference = "auto" | AeadBackendName;
export const AEAD_PREFERENCES: readonly AeadPreference[] = [
  "auto",
  "openssl",
  "libsodium",
  "noble",
];

/** A backend that may be loaded; `load` throws (saying what to install) when it cannot be. */
export interface AeadCandidate {
  readonly name: AeadBackendName;
  /**
   * A fresh instance, with where it comes from ("libcrypto.so.3", ...) for status output and
   * a way to release it.
   */
  load(): Promise<{ aead: TransportAead; source: string; close(): void }>;
}

export interface AeadBackendStatus {
  name: AeadBackendName;
  available: boolean;
  /** Available: where it comes from. Unavailable: why, and what to install. */
  reason: string;
}

/** The built-in backends, fastest first (the order "auto" tries them in). */
export const AEAD_CANDIDATES: readonly AeadCandidate[] = [
  {
    name: "openssl",
    // deno-lint-ignore require-await
    async load() {
      const aead = OpenSslAead.load();
      return { aead, source: aead.libraryFile, close: () => aead.close() };
    },
  },
  {
    name: "libsodium",
    // deno-lint-ignore require-await
    async load() {
      const aead = LibsodiumAead.load();
      return { aead, source: aead.libraryFile, close: () => aead.close() };
    },
  },
  {
    name: "noble",
    // Imported only when chosen: a data-path Worker running OpenSSL does not carry the
    // fallback's code in its heap.
    async load() {
      const { NobleAead } = await import("./noble_aead.ts");
      return { aead: new NobleAead(), source: "@noble/ciphers (built in)", close() {} };
    },
  },
];

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A new backend instance for this thread (FFI backends hold per-instance buffers and cipher
 * contexts, so each Worker selects its own). Throws an Error naming the missing library and
 * the package that provides it when an explicit preference cannot be loaded.
 */
export async function selectTransportAead(
  preference: AeadPreference,
  candidates: readonly AeadCandidate[] = AEAD_CANDIDATES,
): Promise<TransportAead> {
  if (preference !== "auto") {
    const candidate = candidates.find((c) => c.name === preference);
    if (candidate === undefined) {
      throw new RangeError(
        `unknown crypto backend "${preference}" (want one of ${AEAD_PREFERENCES.join(", ")})`,
      );
    }
    try {
      return (await candidate.load()).aead;
    } catch (err) {
      throw new Error(`crypto backend "${preference}" unavailable: ${describe(err)}`);
    }
  }
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      return (await candidate.load()).aead;
    } catch (err) {
      failures.push(`${candidate.name}: ${describe(err)}`);
    }
  }
  throw new Error(`no crypto backend could be loaded: ${failures.join("; ")}`);
}

/** Every backend, loaded once to see whether it works (then released), fastest first. */
export async function availableBackends(
  candidates: readonly AeadCandidate[] = AEAD_CANDIDATES,
): Promise<AeadBackendStatus[]> {
  const statuses: AeadBackendStatus[] = [];
  for (const candidate of candidates) {
    try {
      const loaded = await candidate.load();
      loaded.close();
      statuses.push({ name: candidate.name, available: true, reason: loaded.source });
    } catch (err) {
      statuses.push({ name: candidate.name, available: false, reason: describe(err) });
    }
  }
  return statuses;
}
