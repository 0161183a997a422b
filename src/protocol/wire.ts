/**
 * Byte-level reads and writes of the message headers, written out by hand so the per-packet
 * path needs no DataView over a borrowed buffer (creating one per packet would allocate).
 */
import { COUNTER_LIMIT, MESSAGE_TRANSPORT } from "./constants.ts";

export function readU32LE(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

export function writeU32LE(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v;
  buf[at + 1] = v >>> 8;
  buf[at + 2] = v >>> 16;
  buf[at + 3] = v >>> 24;
}

/**
 * The u64 little-endian counter at `at`, or -1 when it is 2^53 or more: such counters cannot be
 * represented exactly and lie beyond anything a key may legitimately reach (see COUNTER_LIMIT).
 */
export function readCounter(buf: Uint8Array, at: number): number {
  const lo = readU32LE(buf, at);
  const hi = readU32LE(buf, at + 4);
  const value = hi * 0x100000000 + lo;
  return hi >= COUNTER_LIMIT / 0x100000000 ? -1 : value;
}

/** Writes `type=4 | 000 | receiver LE | counter LE64` at buf[at..at+16). */
export function writeTransportHeader(
  buf: Uint8Array,
  at: number,
  receiver: number,
  counter: number,
): void {
  buf[at] = MESSAGE_TRANSPORT;
  buf[at + 1] = 0;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  writeU32LE(buf, at + 4, receiver);
  writeU32LE(buf, at + 8, counter >>> 0);
  writeU32LE(buf, at + 12, Math.floor(counter / 0x100000000));
}

/** The message type if the 4-byte type field is a valid u32 (three zero reserved bytes), else 0. */
export function messageType(buf: Uint8Array): number {
  if (buf.length < 4 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) return 0;
  return buf[0];
}
