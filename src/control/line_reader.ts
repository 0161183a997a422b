/**
 * Newline-delimited text from a byte stream (the control socket's framing), with a bound on the
 * line length so a peer that never sends a newline cannot make us buffer without end.
 */

export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

export class LineTooLongError extends Error {
  constructor(limit: number) {
    super(`line longer than ${limit} bytes`);
    this.name = "LineTooLongError";
  }
}

export class LineReader {
  #pending = new Uint8Array(0);
  readonly #chunk = new Uint8Array(64 * 1024);
  readonly #decoder = new TextDecoder();

  constructor(private readonly source: ByteSource, private readonly maxBytes: number) {}

  /** The next line without its "\n"; null at end of stream (a final unterminated line is lost). */
  async next(): Promise<string | null> {
    for (;;) {
      const nl = this.#pending.indexOf(0x0a);
      if (nl >= 0) {
        const line = this.#pending.subarray(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        return this.#decoder.decode(line);
      }
      if (this.#pending.length > this.maxBytes) throw new LineTooLongError(this.maxBytes);
      const n = await this.source.read(this.#chunk);
      if (n === null) return null;
      const grown = new Uint8Array(this.#pending.length + n);
      grown.set(this.#pending);
      grown.set(this.#chunk.subarray(0, n), this.#pending.length);
      this.#pending = grown;
    }
  }
}
