/**
 * C struct layouts for the 64-bit Linux ABI (x86_64 and aarch64, both little-endian) and their
 * encoders/decoders. The encoders write into caller-owned buffers at an offset so that the data
 * path can reuse one preallocated DataView for a whole array of structs: nothing here
 * allocates except the setup helpers (`allocStable`, `ifreq`).
 */
import { AF_INET, AF_INET6, IFNAMSIZ } from "./constants.ts";
import type { Endpoint } from "../src/protocol/endpoint.ts";

/** Native structs are little-endian on every target bond builds for. */
const LE = true;
const TWO_32 = 0x1_0000_0000;

// struct sockaddr_in { sa_family_t family; in_port_t port /* BE */; struct in_addr addr; char zero[8]; }
export const SOCKADDR_IN_SIZE = 16;
// struct sockaddr_in6 { family; port /* BE */; u32 flowinfo; u8 addr[16]; u32 scope_id; }
export const SOCKADDR_IN6_SIZE = 28;
/** Room for either sockaddr kind; used for every name buffer bond hands to the kernel. */
export const SOCKADDR_MAX_SIZE = SOCKADDR_IN6_SIZE;

// struct ifreq { char ifr_name[16]; union { short flags; int ifindex; int mtu; ... } (24 bytes) }
export const IFREQ_SIZE = 40;
export const IFREQ_UNION = 16;

// struct iovec { void *iov_base; size_t iov_len; }
export const IOVEC_SIZE = 16;
export const IOVEC_BASE = 0;
export const IOVEC_LEN = 8;

// struct msghdr { void *name; socklen_t namelen; /*pad*/ struct iovec *iov; size_t iovlen;
//                 void *control; size_t controllen; int flags; /*pad*/ }
export const MSGHDR_SIZE = 56;
export const MSGHDR_NAME = 0;
export const MSGHDR_NAMELEN = 8;
export const MSGHDR_IOV = 16;
export const MSGHDR_IOVLEN = 24;
export const MSGHDR_CONTROL = 32;
export const MSGHDR_CONTROLLEN = 40;
export const MSGHDR_FLAGS = 48;

// struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; /*pad*/ }
export const MMSGHDR_SIZE = 64;
export const MMSGHDR_LEN = 56;

// struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; /* data, 8-aligned */ }
export const CMSGHDR_SIZE = 16;
export const CMSG_LEN_OFFSET = 0;
export const CMSG_LEVEL_OFFSET = 8;
export const CMSG_TYPE_OFFSET = 12;
/** CMSG_SPACE(4): room for one control message carrying an int (or a u16), aligned. */
export const CMSG_SPACE_INT = 24;
/** CMSG_LEN(2): a control message carrying a u16 (UDP_SEGMENT). */
export const CMSG_LEN_U16 = 18;

// struct pollfd { int fd; short events; short revents; }
export const POLLFD_SIZE = 8;
export const POLLFD_FD = 0;
export const POLLFD_EVENTS = 4;
export const POLLFD_REVENTS = 6;

/**
 * Bytes whose address may be stored inside another struct (iovec base, msghdr name).
 * A buffer from `new ArrayBuffer` lives outside the V8 heap and never moves; a small
 * `new Uint8Array(n)` may live on the heap and move during GC, so never store its address.
 */
export function allocStable(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(size));
}

/**
 * The address of a buffer's first byte as a plain number (exact: user-space addresses are
 * below 2^48). Plain numbers let the data path write pointers without BigInt allocations.
 */
export function addressOf(buf: Uint8Array): number {
  const value = Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf));
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`address ${value} does not fit a number`);
  return n;
}

/** Store a 64-bit pointer given as a number (from `addressOf`, plus an offset). */
export function writePointer(view: DataView, offset: number, address: number): void {
  view.setUint32(offset, address % TWO_32, LE);
  view.setUint32(offset + 4, Math.floor(address / TWO_32), LE);
}

/** Read a 64-bit pointer or size_t as a number (exact below 2^53). */
export function readPointer(view: DataView, offset: number): number {
  return view.getUint32(offset, LE) + view.getUint32(offset + 4, LE) * TWO_32;
}

/**
 * Encode `ep` as a sockaddr at `offset`; returns its length (16 or 28).
 * With `v6Socket`, an IPv4 endpoint is written as a v4-mapped sockaddr_in6 (::ffff:a.b.c.d),
 * which is what a dual-stack AF_INET6 socket needs.
 */
export function encodeSockaddr(
  ep: Endpoint,
  view: DataView,
  offset: number,
  v6Socket = false,
): number {
  if (ep.family === 4 && !v6Socket) {
    view.setUint16(offset, AF_INET, LE);
    view.setUint16(offset + 2, ep.port, false);
    for (let i = 0; i < 4; i++) view.setUint8(offset + 4 + i, ep.ip[i]);
    view.setUint32(offset + 8, 0);
    view.setUint32(offset + 12, 0);
    return SOCKADDR_IN_SIZE;
  }
  view.setUint16(offset, AF_INET6, LE);
  view.setUint16(offset + 2, ep.port, false);
  view.setUint32(offset + 4, 0); // flowinfo
  if (ep.family === 4) {
    for (let i = 0; i < 10; i++) view.setUint8(offset + 8 + i, 0);
    view.setUint8(offset + 18, 0xff);
    view.setUint8(offset + 19, 0xff);
    for (let i = 0; i < 4; i++) view.setUint8(offset + 20 + i, ep.ip[i]);
  } else {
    for (let i = 0; i < 16; i++) view.setUint8(offset + 8 + i, ep.ip[i]);
  }
  view.setUint32(offset + 24, 0); // scope_id
  return SOCKADDR_IN6_SIZE;
}

/**
 * Decode the sockaddr at `offset` INTO `into` (no allocation). A v4-mapped IPv6 address
 * becomes an IPv4 endpoint so one peer has one spelling whatever socket saw it.
 * Returns false (and leaves `into` untouched) for a family other than AF_INET/AF_INET6.
 */
export function decodeSockaddr(view: DataView, offset: number, into: Endpoint): boolean {
  const family = view.getUint16(offset, LE);
  if (family === AF_INET) {
    into.family = 4;
    into.port = view.getUint16(offset + 2, false);
    for (let i = 0; i < 4; i++) into.ip[i] = view.getUint8(offset + 4 + i);
    for (let i = 4; i < 16; i++) into.ip[i] = 0;
    return true;
  }
  if (family !== AF_INET6) return false;
  into.port = view.getUint16(offset + 2, false);
  if (isV4Mapped(view, offset + 8)) {
    into.family = 4;
    for (let i = 0; i < 4; i++) into.ip[i] = view.getUint8(offset + 20 + i);
    for (let i = 4; i < 16; i++) into.ip[i] = 0;
  } else {
    into.family = 6;
    for (let i = 0; i < 16; i++) into.ip[i] = view.getUint8(offset + 8 + i);
  }
  return true;
}

function isV4Mapped(view: DataView, at: number): boolean {
  for (let i = 0; i < 10; i++) if (view.getUint8(at + i) !== 0) return false;
  return view.getUint8(at + 10) === 0xff && view.getUint8(at + 11) === 0xff;
}

/** struct iovec at `offset`. */
export function writeIovec(view: DataView, offset: number, base: number, length: number): void {
  writePointer(view, offset + IOVEC_BASE, base);
  writePointer(view, offset + IOVEC_LEN, length);
}

/** struct msghdr at `offset` (also the head of a struct mmsghdr); `flags` is cleared. */
export function writeMsghdr(
  view: DataView,
  offset: number,
  name: number,
  nameLength: number,
  iov: number,
  iovCount: number,
  control = 0,
  controlLength = 0,
): void {
  writePointer(view, offset + MSGHDR_NAME, name);
  view.setUint32(offset + MSGHDR_NAMELEN, nameLength, LE);
  view.setUint32(offset + MSGHDR_NAMELEN + 4, 0, LE);
  writePointer(view, offset + MSGHDR_IOV, iov);
  writePointer(view, offset + MSGHDR_IOVLEN, iovCount);
  writePointer(view, offset + MSGHDR_CONTROL, control);
  writePointer(view, offset + MSGHDR_CONTROLLEN, controlLength);
  view.setUint32(offset + MSGHDR_FLAGS, 0, LE);
  view.setUint32(offset + MSGHDR_FLAGS + 4, 0, LE);
}

/** struct pollfd at `offset`, with revents cleared. */
export function writePollfd(view: DataView, offset: number, fd: number, events: number): void {
  view.setInt32(offset + POLLFD_FD, fd, LE);
  view.setInt16(offset + POLLFD_EVENTS, events, LE);
  view.setInt16(offset + POLLFD_REVENTS, 0, LE);
}

/** The revents field of the struct pollfd at `offset`. */
export function readRevents(view: DataView, offset: number): number {
  return view.getUint16(offset + POLLFD_REVENTS, LE);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A zeroed struct ifreq naming `name`; throws if the name cannot be an interface name. */
export function ifreq(name: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(name);
  if (bytes.length === 0 || bytes.length >= IFNAMSIZ || bytes.includes(0)) {
    throw new RangeError(`interface name must be 1-${IFNAMSIZ - 1} bytes: ${JSON.stringify(name)}`);
  }
  const buf = new Uint8Array(IFREQ_SIZE);
  buf.set(bytes);
  return buf;
}

/** The ifr_name of a struct ifreq (up to the first NUL). */
export function ifreqName(buf: Uint8Array): string {
  let end = 0;
  while (end < IFNAMSIZ && buf[end] !== 0) end++;
  return decoder.decode(buf.subarray(0, end));
}

/** Set the `short ifr_flags` member of a struct ifreq. */
export function setIfreqFlags(buf: Uint8Array, flags: number): void {
  new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setUint16(IFREQ_UNION, flags, LE);
}

/** The `short ifr_flags` member of a struct ifreq. */
export function ifreqFlags(buf: Uint8Array): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint16(IFREQ_UNION, LE);
}
