/**
 * Opening a system library for an FFI backend, with an error that tells the user what to
 * install: the backends are optional accelerators, so a missing library is an expected
 * condition that the selector reports, not a crash.
 */

/** A library an FFI backend needs: the file names tried in order and who ships them. */
export interface LibrarySource {
  /** e.g. ["libcrypto.so.3", "libcrypto.so"]: the versioned name first, then the dev symlink. */
  readonly files: readonly string[];
  /** The Debian package that provides the first file. */
  readonly debianPackage: string;
  /** The OpenWrt package that provides it. */
  readonly openwrtPackage: string;
}

/** None of a source's files could be opened (or none had the needed symbols). */
export class LibraryUnavailableError extends Error {
  constructor(readonly source: LibrarySource, readonly details: readonly string[]) {
    super(
      `${source.files.join(" / ")} not found or unusable; install ${source.debianPackage} ` +
        `(apt install ${source.debianPackage}) or on OpenWrt ${source.openwrtPackage} ` +
        `(opkg install ${source.openwrtPackage})` +
        (details.length > 0 ? ` [${details.join("; ")}]` : ""),
    );
    this.name = "LibraryUnavailableError";
  }
}

/** Opens the first of `source.files` that loads with all `symbols`. */
export function openFirstLibrary<S extends Deno.ForeignLibraryInterface>(
  source: LibrarySource,
  symbols: S,
): { library: Deno.DynamicLibrary<S>; file: string } {
  const details: string[] = [];
  for (const file of source.files) {
    try {
      return { library: Deno.dlopen(file, symbols), file };
    } catch (err) {
      details.push(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new LibraryUnavailableError(source, details);
}
