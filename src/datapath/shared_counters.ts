/**
 * A named set of counters in a SharedArrayBuffer: a data-path Worker keeps its counters in a
 * plain object (the fastest thing to bump per packet) and copies them here every few
 * milliseconds; the main thread reads them for status without waking the Worker.
 */
const NONE: Readonly<Record<string, number>> = Object.freeze({});

export class SharedCounters {
  readonly names: readonly string[];
  readonly buffer: SharedArrayBuffer;
  readonly #values: Float64Array;

  private constructor(names: readonly string[], buffer: SharedArrayBuffer) {
    if (buffer.byteLength < names.length * 8) {
      throw new RangeError(
        `counter buffer of ${buffer.byteLength} bytes cannot hold ${names.length} counters`,
      );
    }
    this.names = names;
    this.buffer = buffer;
    this.#values = new Float64Array(buffer, 0, names.length);
  }

  /** Fresh zeroed counters (main thread). */
  static create(names: readonly string[]): SharedCounters {
    return new SharedCounters(names, new SharedArrayBuffer(Math.max(8, names.length * 8)));
  }

  /** The same counters seen from another thread (same names, same order). */
  static attach(names: readonly string[], buffer: SharedArrayBuffer): SharedCounters {
    return new SharedCounters(names, buffer);
  }

  /** Copies every named counter in, from `first` or else `second` (two records, no merging). */
  publish(
    first: Readonly<Record<string, number>>,
    second: Readonly<Record<string, number>> = NONE,
  ): void {
    const values = this.#values;
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      values[i] = first[name] ?? second[name] ?? 0;
    }
  }

  /** A snapshot as a plain object. */
  read(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((name, i) => (out[name] = this.#values[i]));
    return out;
  }
}
