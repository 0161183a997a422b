/**
 * Big-endian cursors over a byte buffer for the control-frame codec. The writer throws when the
 * caller's buffer is too small (a programmer error); the reader never throws: a read past the
 * end sets `short` and returns 0, so a decoder checks once per frame instead of per field.
 */

const TWO_32 = 0x100000000;
/** Integers at or above this cannot be held exactly in a JS number. */
const U53_LIMIT = 2 ** 53;

/** One scratch for float conversions, shared: the codec runs on one thread at a time. */
const scratch = new DataView(new ArrayBuffer(8));

export class FrameWriter {
  at: number;
  readonly #buf: Uint8Array;

  constructor(buf: Uint8Array, offset: number) {
    this.#buf = buf;
    this.at = offset;
  }

  #room(n: number): number {
    const at = this.at;
    if (at + n > this.#buf.length) {
      throw new RangeError(
        `control frame needs ${at + n} bytes of buffer, have ${this.#buf.length}`,
      );
    }
    this.at = at + n;
    return at;
  }

  u8(v: number): void {
    this.#buf[this.#room(1)] = v;
  }

  u16(v: number): void {
    const at = this.#room(2);
    this.#buf[at] = v >>> 8;
    this.#buf[at + 1] = v;
  }

  u32(v: number): void {
    const at = this.#room(4);
    this.#buf[at] = v >>> 24;
    this.#buf[at + 1] = v >>> 16;
    this.#buf[at + 2] = v >>> 8;
    this.#buf[at + 3] = v;
  }

  /** An integer 0..2^53-1 as u64. */
  u53(v: number): void {
    this.u32(Math.floor(v / TWO_32));
    this.u32(v >>> 0);
  }

  f64(v: number): void {
    scratch.setFloat64(0, v);
    const at = this.#room(8);
    for (let i = 0; i < 8; i++) this.#buf[at + i] = scratch.getUint8(i);
  }

  bytes(b: Uint8Array): void {
    this.#buf.set(b, this.#room(b.length));
  }

  zeros(n: number): void {
    const at = this.#room(n);
    this.#buf.fill(0, at, at + n);
  }

  /** Writes a u16 at an earlier position (the length field, once the body is written). */
  patchU16(at: number, v: number): void {
    this.#buf[at] = v >>> 8;
    this.#buf[at + 1] = v;
  }
}

export class FrameReader {
  at: number;
  /** Set once any read ran past `end`. */
  short = false;
  /** Set when a u53 read found a value of 2^53 or more. */
  tooLarge = false;
  readonly #buf: Uint8Array;
  readonly end: number;

  constructor(buf: Uint8Array, offset: number, end: number) {
    this.#buf = buf;
    this.at = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.at;
  }

  #take(n: number): number {
    const at = this.at;
    if (at + n > this.end) {
      this.short = true;
      this.at = this.end;
      return -1;
    }
    this.at = at + n;
    return at;
  }

  u8(): number {
    const at = this.#take(1);
    return at < 0 ? 0 : this.#buf[at];
  }

  u16(): number {
    const at = this.#take(2);
    return at < 0 ? 0 : (this.#buf[at] << 8) | this.#buf[at + 1];
  }

  u32(): number {
    const at = this.#take(4);
    if (at < 0) return 0;
    const b = this.#buf;
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  u53(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (hi >= U53_LIMIT / TWO_32) {
      this.tooLarge = true;
      return 0;
    }
    return hi * TWO_32 + lo;
  }

  f64(): number {
    const at = this.#take(8);
    if (at < 0) return 0;
    for (let i = 0; i < 8; i++) scratch.setUint8(i, this.#buf[at + i]);
    return scratch.getFloat64(0);
  }

  /** A view of the next n bytes (empty when short). */
  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return at < 0 ? this.#buf.subarray(0, 0) : this.#buf.subarray(at, at + n);
  }
}
