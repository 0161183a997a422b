/**
 * What the router writes first on each split connection, before the LAN host's bytes: where the
 * connection was going. The VPS reads it and connects there; its first byte back says how that
 * went (SPLIT_CONNECTED, or SPLIT_UNREACHABLE and the end), and from then on both relay bytes.
 *
 *   router → VPS   "BSPL" | version (u8, 1) | family (u8, 4 or 6) | port (u16 BE) | address (4|16)
 *   VPS → router   status (u8)
 *
 * The router relays the LAN host's bytes at once (the VPS holds them until it is connected) and
 * the VPS's only after the status, so a refused connection reaches the LAN host as a reset.
 */
import { Endpoint } from "../protocol/endpoint.ts";

/** The VPS's first byte back: the destination is connected. */
export const SPLIT_CONNECTED = 0;
/** ...or it refused, did not answer, or may not be reached: the connection ends. */
export const SPLIT_UNREACHABLE = 1;

const MAGIC = [0x42, 0x53, 0x50, 0x4c]; // "BSPL"
const VERSION = 1;
const FIXED = 8;
/** The longest header (IPv6). */
export const SPLIT_HEADER_MAX = FIXED + 16;

export function encodeSplitHeader(destination: Endpoint): Uint8Array {
  const size = FIXED + (destination.family === 4 ? 4 : 16);
  const out = new Uint8Array(size);
  out.set(MAGIC);
  out[4] = VERSION;
  out[5] = destination.family;
  out[6] = destination.port >> 8;
  out[7] = destination.port & 0xff;
  out.set(destination.ip.subarray(0, size - FIXED), FIXED);
  return out;
}

export type SplitHeaderDecode =
  /** More bytes are needed. */
  | { state: "partial" }
  | { state: "bad"; reason: string }
  /** `length`: header bytes; what follows in the buffer is the LAN host's data. */
  | { state: "done"; destination: Endpoint; length: number };

/** Decodes the header at the start of `buf` (whatever has arrived so far). */
export function decodeSplitHeader(buf: Uint8Array): SplitHeaderDecode {
  for (let i = 0; i < MAGIC.length && i < buf.length; i++) {
    if (buf[i] !== MAGIC[i]) return { state: "bad", reason: "not a split header" };
  }
  if (buf.length < FIXED) return { state: "partial" };
  if (buf[4] !== VERSION) return { state: "bad", reason: `split header version ${buf[4]}` };
  const family = buf[5];
  if (family !== 4 && family !== 6) {
    return { state: "bad", reason: `split header family ${family}` };
  }
  const length = FIXED + (family === 4 ? 4 : 16);
  if (buf.length < length) return { state: "partial" };
  const port = (buf[6] << 8) | buf[7];
  if (port === 0) return { state: "bad", reason: "split header port 0" };
  const destination = new Endpoint();
  destination.family = family;
  destination.port = port;
  destination.ip.set(buf.subarray(FIXED, length));
  return { state: "done", destination, length };
}
