/**
 * TAI64N timestamps for handshake initiations (whitepaper section 5.1): 8 bytes big-endian
 * seconds since 1970 plus 2^62, then 4 bytes big-endian nanoseconds. A responder accepts an
 * initiation only if its timestamp is greater than the last one from that peer, which defeats
 * replayed initiations.
 */

export const TAI64N_SIZE = 12;
const TAI64_EPOCH = 2 ** 62;
/**
 * Nanoseconds are rounded down to a multiple of 2^24 ns (about 16.8 ms) so the timestamp does
 * not reveal the sender's fine clock, which could otherwise fingerprint it or leak timing.
 */
const WHITENER_NS = 2 ** 24;

/** Encodes wall-clock milliseconds since 1970 (may be fractional) as TAI64N. */
export function tai64n(wallMs: number, out = new Uint8Array(TAI64N_SIZE)): Uint8Array {
  const seconds = Math.floor(wallMs / 1000);
  const nanosRaw = Math.floor((wallMs - seconds * 1000) * 1e6);
  const nanos = nanosRaw - (nanosRaw % WHITENER_NS);
  const view = new DataView(out.buffer, out.byteOffset, TAI64N_SIZE);
  // 2^62 + seconds fits a double exactly only up to 2^53, so write the two 32-bit halves.
  const hi = TAI64_EPOCH / 2 ** 32 + Math.floor(seconds / 2 ** 32);
  view.setUint32(0, hi);
  view.setUint32(4, seconds >>> 0);
  view.setUint32(8, nanos);
  return out;
}

/** Byte-wise comparison: TAI64N is big-endian, so this orders timestamps by time. */
export function tai64nAfter(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < TAI64N_SIZE; i++) {
    if (a[i] !== b[i]) return a[i] > b[i];
  }
  return false;
}
