/**
 * TCP split ("mptcp" in `scheduler.tcp`): the router hands each LAN TCP connection to the VPS as
 * one Linux MPTCP connection inside the tunnel, with one subflow per path. The subflows are told
 * apart by the VPS's port: subflow j ends at SPLIT_PORT + j on the VPS's tunnel address (j = 0
 * is the connection's first subflow, the others are the ports the VPS announces with ADD_ADDR).
 *
 * The data path pins subflow j to the j-th path of the peer (paths in index order) and lets its
 * packets bypass the reorder buffer: each path is FIFO, so a subflow pinned to one path arrives
 * in order, and the kernel's congestion control then runs per path, on that path's own delay,
 * instead of one window over paths whose delays differ by tens of milliseconds.
 *
 * The router sees the VPS's port as destination (TX) and source (RX), the VPS the other way
 * round. Reads the packet in place; allocates nothing.
 */
import { IPV4_HEADER_MIN, IPV6_HEADER_SIZE, ipVersion } from "../protocol/inner_packet.ts";

/** The VPS's MPTCP listener; SPLIT_PORT + 1 .. + SPLIT_SUBFLOWS - 1 are announced subflow ports. */
export const SPLIT_PORT = 65010;
/** Subflows per connection at most: one per link (a router has at most 8). */
export const SPLIT_SUBFLOWS = 8;

const PROTO_TCP = 6;

/** Which port names the VPS's end: the destination (router TX, VPS RX) or the source. */
export type SplitPortSide = "destination" | "source";

/**
 * The subflow index (0..SPLIT_SUBFLOWS-1) of the TCP packet at buf[offset, offset+length) by the
 * VPS-side port at `side`; -1 for anything else (not TCP, a fragment, IPv6 with extension
 * headers, too short, another port).
 */
export function splitSubflowOf(
  buf: Uint8Array,
  offset: number,
  length: number,
  side: SplitPortSide,
): number {
  const v = ipVersion(buf, offset, length);
  let l4: number;
  if (v === 4) {
    if (length < IPV4_HEADER_MIN || buf[offset + 9] !== PROTO_TCP) return -1;
    // A fragment other than the first carries no ports.
    if (((buf[offset + 6] & 0x1f) | buf[offset + 7]) !== 0) return -1;
    l4 = (buf[offset] & 0x0f) * 4;
  } else if (v === 6) {
    if (length < IPV6_HEADER_SIZE || buf[offset + 6] !== PROTO_TCP) return -1;
    l4 = IPV6_HEADER_SIZE;
  } else {
    return -1;
  }
  if (length < l4 + 4) return -1;
  const at = offset + l4 + (side === "destination" ? 2 : 0);
  const j = ((buf[at] << 8) | buf[at + 1]) - SPLIT_PORT;
  return j >= 0 && j < SPLIT_SUBFLOWS ? j : -1;
}

/**
 * The path index subflow `j` rides: the (j mod n)-th of the n paths `exists` marks, in index
 * order; -1 when there are none. Both ends number a router's paths by link id, so they agree.
 */
export function splitPathOf(j: number, exists: (path: number) => boolean, paths: number): number {
  let n = 0;
  for (let p = 0; p < paths; p++) if (exists(p)) n++;
  if (n === 0) return -1;
  let k = j % n;
  for (let p = 0; p < paths; p++) {
    if (!exists(p)) continue;
    if (k === 0) return p;
    k--;
  }
  return -1;
}
