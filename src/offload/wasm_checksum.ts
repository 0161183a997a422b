/**
 * The Internet checksum's byte sum in WebAssembly SIMD, over bytes that live in the module's
 * own memory: the TX Worker reads the TUN into that memory, so each TCP segment's payload is
 * summed where it lies. 16 bytes per step (`i32x4.extadd_pairwise_i16x8_u` adds eight 16-bit
 * words pairwise into four 32-bit lanes) take about 120 ns for a 1368-byte segment where the
 * DataView loop of `internet_checksum.ts` takes 600-900 ns on the development VM.
 *
 * The module is assembled here from its opcodes (no build step, no binary blob to trust). It
 * sums little-endian words and swaps the folded result: RFC 1071 section 2(B), the sum is
 * independent of byte order up to that swap. A lane gains at most 2 * 0xffff per step, so
 * 32-bit lanes cannot overflow below 512 KiB; `sum` accepts at most MAX_SUM_BYTES.
 */

/** 64 KiB pages of the module's memory: a 64 KiB super-packet and its virtio_net_hdr fit. */
export const CHECKSUM_MEMORY_PAGES = 2;
/** The longest run `sum` adds (the lanes' overflow bound, with a margin). */
export const MAX_SUM_BYTES = 256 * 1024;

/** The checksum module: its memory, a view of all of it, and the sum over part of it. */
export interface WasmChecksum {
  readonly memory: WebAssembly.Memory;
  /** All of the memory, as bytes; `sum` takes offsets into this view. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /**
   * The one's-complement sum of big-endian 16-bit words of `length` bytes from `offset`,
   * folded to 16 bits (0 only for all-zero bytes); an odd last byte is the high half.
   * Add it to other unfolded sums freely (it is congruent to theirs modulo 0xffff).
   */
  sum(offset: number, length: number): number;
}

/**
 * The module, or undefined where WebAssembly or its SIMD is missing (then callers sum in
 * JavaScript). Each call makes a new instance with its own memory.
 */
export function loadWasmChecksum(): WasmChecksum | undefined {
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(CHECKSUM_MODULE));
  } catch {
    return undefined;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const wasmSum = instance.exports.sum as (offset: number, length: number) => number;
  // Not shared (the module declares no shared memory), and never detached (it never grows).
  const bytes = new Uint8Array(memory.buffer as ArrayBuffer);
  return {
    memory,
    bytes,
    sum(offset: number, length: number): number {
      if (offset < 0 || length < 0 || length > MAX_SUM_BYTES || offset + length > bytes.length) {
        throw new RangeError(`checksum: ${length} bytes at ${offset} outside the module's memory`);
      }
      return wasmSum(offset, length);
    },
  };
}

// ------------------------------------------------------------------ the module's bytes

const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const EMPTY = 0x40;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_LOAD8_U = 0x2d;
const I32_LOAD16_U = 0x2f;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_SHL = 0x74;
const I32_SHR_U = 0x76;
const I64_ADD = 0x7c;
const I64_AND = 0x83;
const I64_SHR_U = 0x88;
const I32_WRAP_I64 = 0xa7;
const I64_EXTEND_I32_U = 0xad;
/** SIMD instructions: prefix 0xfd, then the opcode as unsigned LEB128. */
const V128_LOAD = [0xfd, 0x00];
const I32X4_EXTRACT_LANE = [0xfd, 0x1b];
const I32X4_EXTADD_PAIRWISE_I16X8_U = [0xfd, 0x7f];
const I32X4_ADD = [0xfd, 0xae, 0x01];
/** memarg: alignment hint 1 byte (loads at any address), offset 0. */
const ANY_ALIGN = [0, 0];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (text: string) => vector([...new TextEncoder().encode(text)].map((b) => [b]));

// sum(p: i32, len: i32) -> i32; locals: limit i32, lanes v128, total i64.
const P = 0;
const LEN = 1;
const LIMIT = 2;
const LANES = 3;
const TOTAL = 4;
const get = (local: number) => [LOCAL_GET, local];
const set = (local: number) => [LOCAL_SET, local];
const i32 = (n: number) => [I32_CONST, ...sleb(n)];

/**
 * `limit = p + (len & -stride); while (p < limit) { step; p += stride }`: the whole strides of
 * `len` bytes from `p` (stride a power of two).
 */
const loopInStrides = (stride: number, step: number[]) => [
  ...get(P),
  ...get(LEN),
  ...i32(-stride),
  I32_AND,
  I32_ADD,
  ...set(LIMIT),
  BLOCK,
  EMPTY,
  LOOP,
  EMPTY,
  ...get(P),
  ...get(LIMIT),
  I32_GE_U,
  BR_IF,
  1,
  ...step,
  ...get(P),
  ...i32(stride),
  I32_ADD,
  ...set(P),
  BR,
  0,
  END,
  END,
];

/** `total += u64(value)`, where `value` is the i32 that `push` leaves on the stack. */
const addToTotal = (push: number[]) => [
  ...get(TOTAL),
  ...push,
  I64_EXTEND_I32_U,
  I64_ADD,
  ...set(TOTAL),
];

const SUM_BODY = [
  // 16 bytes at a time into the four lanes.
  ...loopInStrides(16, [
    ...get(LANES),
    ...get(P),
    ...V128_LOAD,
    ...ANY_ALIGN,
    ...I32X4_EXTADD_PAIRWISE_I16X8_U,
    ...I32X4_ADD,
    ...set(LANES),
  ]),
  // The rest (< 16 bytes): 16-bit words, then an odd last byte.
  ...get(LEN),
  ...i32(15),
  I32_AND,
  ...set(LEN),
  ...loopInStrides(2, addToTotal([...get(P), I32_LOAD16_U, ...ANY_ALIGN])),
  ...get(LEN),
  ...i32(1),
  I32_AND,
  IF,
  EMPTY,
  ...addToTotal([...get(P), I32_LOAD8_U, ...ANY_ALIGN]),
  END,
  // total += each lane.
  ...[0, 1, 2, 3].flatMap((lane) => addToTotal([...get(LANES), ...I32X4_EXTRACT_LANE, lane])),
  // Fold with end-around carry: below 2^35, three folds reach 16 bits.
  ...[0, 1, 2].flatMap(() => [
    ...get(TOTAL),
    I64_CONST,
    ...sleb(0xffff),
    I64_AND,
    ...get(TOTAL),
    I64_CONST,
    16,
    I64_SHR_U,
    I64_ADD,
    ...set(TOTAL),
  ]),
  // Back to big-endian: swap the two bytes.
  ...get(TOTAL),
  I32_WRAP_I64,
  ...set(LEN),
  ...get(LEN),
  ...i32(0xff),
  I32_AND,
  ...i32(8),
  I32_SHL,
  ...get(LEN),
  ...i32(8),
  I32_SHR_U,
  I32_OR,
  END,
];

const SUM_FUNCTION = [...vector([[1, I32], [1, V128], [1, I64]]), ...SUM_BODY];

const CHECKSUM_MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...section(1, vector([[0x60, ...vector([[I32], [I32]]), ...vector([[I32]])]])), // type
  ...section(3, vector([[0]])), // function 0 has type 0
  // Memory with minimum = maximum: it never grows, so views of it stay valid.
  ...section(5, vector([[0x01, ...uleb(CHECKSUM_MEMORY_PAGES), ...uleb(CHECKSUM_MEMORY_PAGES)]])),
  ...section(
    7,
    vector([[...name("sum"), 0x00, 0], [...name("memory"), 0x02, 0]]), // exports
  ),
  ...section(10, vector([[...uleb(SUM_FUNCTION.length), ...SUM_FUNCTION]])), // code
]);
