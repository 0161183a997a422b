/**
 * A 32-bit hash of an inner IP packet's flow (addresses, protocol, and ports for TCP, UDP and
 * SCTP), for pinned mode. Fragments after the first carry no ports, so for a fragmented IPv4
 * packet the ports are left out of every fragment: all fragments of a datagram stay together.
 * IPv6 extension headers are not walked; packets with one hash on addresses and the next-header
 * value. Reads the packet in place and allocates nothing.
 */
import { IPV4_HEADER_MIN, IPV6_HEADER_SIZE, ipVersion } from "../protocol/inner_packet.ts";
import { mix32 } from "./pinned_scheduler.ts";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_SCTP = 132;

function fnv(h: number, buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i], FNV_PRIME);
  return h;
}

function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP;
}

/** The flow hash of the packet at buf[offset, offset+length); 0 for a non-IP or short packet. */
export function flowHash(buf: Uint8Array, offset: number, length: number): number {
  const v = ipVersion(buf, offset, length);
  let h = FNV_OFFSET;
  if (v === 4) {
    if (length < IPV4_HEADER_MIN) return 0;
    const ihl = (buf[offset] & 0x0f) * 4;
    const proto = buf[offset + 9];
    h = fnv(h, buf, offset + 12, offset + 20);
    h = Math.imul(h ^ proto, FNV_PRIME);
    // More-fragments flag or a fragment offset: leave the ports out (see above).
    const fragmented = ((buf[offset + 6] & 0x3f) | buf[offset + 7]) !== 0;
    if (!fragmented && hasPorts(proto) && length >= ihl + 4) {
      h = fnv(h, buf, offset + ihl, offset + ihl + 4);
    }
  } else if (v === 6) {
    if (length < IPV6_HEADER_SIZE) return 0;
    const next = buf[offset + 6];
    h = fnv(h, buf, offset + 8, offset + 40);
    h = Math.imul(h ^ next, FNV_PRIME);
    if (hasPorts(next) && length >= IPV6_HEADER_SIZE + 4) {
      h = fnv(h, buf, offset + 40, offset + 44);
    }
  } else {
    return 0;
  }
  return mix32(h >>> 0);
}
