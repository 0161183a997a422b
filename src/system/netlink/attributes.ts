/**
 * Netlink message building and parsing: the nlmsghdr, a fixed family header, then rtattr TLVs,
 * each padded to 4 bytes. Control-plane code only, so clarity wins over avoiding allocations.
 */
import { NLA_TYPE_MASK, NLMSG_HDRLEN, RTA_HDRLEN } from "./constants.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Netlink pads every header and attribute to a multiple of 4 bytes. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Builds one request: header, family struct, attributes. Host byte order (little-endian). */
export class MessageBuilder {
  readonly type: number;
  readonly flags: number;
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = NLMSG_HDRLEN;

  constructor(type: number, flags: number) {
    this.type = type;
    this.flags = flags;
  }

  #reserve(n: number): number {
    const at = this.#len;
    const need = at + align4(n);
    if (need > this.#buf.length) {
      const next = new Uint8Array(Math.max(need, this.#buf.length * 2));
      next.set(this.#buf);
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    this.#len = need;
    return at;
  }

  /** Append the family header (ifinfomsg, rtmsg...), filled in by `fill` over a zeroed view. */
  header(size: number, fill: (view: DataView) => void): this {
    const at = this.#reserve(size);
    fill(new DataView(this.#buf.buffer, at, size));
    return this;
  }

  /** Append an attribute carrying raw bytes. */
  bytes(type: number, data: Uint8Array): this {
    const at = this.#reserve(RTA_HDRLEN + data.length);
    this.#view.setUint16(at, RTA_HDRLEN + data.length, true);
    this.#view.setUint16(at + 2, type, true);
    this.#buf.set(data, at + RTA_HDRLEN);
    return this;
  }

  u8(type: number, value: number): this {
    return this.bytes(type, Uint8Array.of(value));
  }

  u32(type: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    return this.bytes(type, b);
  }

  /** A NUL-terminated string attribute (interface names, labels). */
  string(type: number, value: string): this {
    const s = encoder.encode(value);
    const b = new Uint8Array(s.length + 1);
    b.set(s);
    return this.bytes(type, b);
  }

  /** A nested attribute; `fill` appends the inner attributes to `this`. */
  nest(type: number, fill: (m: this) => void): this {
    const at = this.#reserve(RTA_HDRLEN);
    this.#view.setUint16(at + 2, type, true);
    fill(this);
    this.#view.setUint16(at, this.#len - at, true);
    return this;
  }

  /**
   * The finished message: length, type, `flags | extraFlags` (the socket adds REQUEST, ACK or
   * DUMP), sequence number and port id (0 = addressed to the kernel).
   */
  finish(seq: number, extraFlags = 0, pid = 0): Uint8Array<ArrayBuffer> {
    this.#view.setUint32(0, this.#len, true);
    this.#view.setUint16(4, this.type, true);
    this.#view.setUint16(6, this.flags | extraFlags, true);
    this.#view.setUint32(8, seq >>> 0, true);
    this.#view.setUint32(12, pid >>> 0, true);
    return this.#buf.slice(0, this.#len);
  }
}

/** One received netlink message; `body` is everything after the 16-byte nlmsghdr. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  body: Uint8Array;
}

/** Split a datagram into messages; throws on a length that runs past the data. */
export function parseMessages(data: Uint8Array): NetlinkMessage[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: NetlinkMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= data.length) {
    const len = view.getUint32(at, true);
    if (len < NLMSG_HDRLEN || at + len > data.length) {
      throw new Error(`malformed netlink message: length ${len} at offset ${at} of ${data.length}`);
    }
    out.push({
      type: view.getUint16(at + 4, true),
      flags: view.getUint16(at + 6, true),
      seq: view.getUint32(at + 8, true),
      pid: view.getUint32(at + 12, true),
      body: data.slice(at + NLMSG_HDRLEN, at + len),
    });
    at += align4(len);
  }
  return out;
}

/**
 * The attributes in `data` (a message body from `offset` on), by type with the nested and
 * byte-order flag bits masked off. A type that repeats keeps its last value.
 */
export function parseAttributes(data: Uint8Array, offset = 0): Map<number, Uint8Array> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Map<number, Uint8Array>();
  let at = offset;
  while (at + RTA_HDRLEN <= data.length) {
    const len = view.getUint16(at, true);
    if (len < RTA_HDRLEN || at + len > data.length) break;
    out.set(view.getUint16(at + 2, true) & NLA_TYPE_MASK, data.subarray(at + RTA_HDRLEN, at + len));
    at += align4(len);
  }
  return out;
}

/** A u32 attribute value (host byte order). */
export function readU32(attr: Uint8Array): number {
  return new DataView(attr.buffer, attr.byteOffset, attr.byteLength).getUint32(0, true);
}

/** A u8 attribute value. */
export function readU8(attr: Uint8Array): number {
  return attr[0];
}

/** A NUL-terminated string attribute. */
export function readString(attr: Uint8Array): string {
  const end = attr.indexOf(0);
  return decoder.decode(end < 0 ? attr : attr.subarray(0, end));
}
