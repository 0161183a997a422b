/**
 * `nat.ipv6_prefix`: a prefix the provider routes to the VPS, cut into /64s, one per peer in the
 * order of `peers:` (peer i gets the i-th). A /64 is what a LAN needs for SLAAC, and handing
 * them out by position keeps the assignment stable while peers are only appended.
 */
import { type Cidr, cidrOf, networkOf, parseCidr } from "../net/cidr.ts";

/** The shortest prefix accepted: a /48 already holds 65536 LANs. */
export const ROUTED_PREFIX_MIN = 48;
export const ROUTED_PREFIX_MAX = 64;

/** Parses and checks the configured prefix; throws RangeError with the reason. */
export function parseRoutedPrefix(text: string, peerCount: number): Cidr {
  const cidr = networkOf(parseCidr(text));
  if (cidr.family !== 6) throw new RangeError(`${text} is not an IPv6 prefix`);
  if (cidr.prefix < ROUTED_PREFIX_MIN || cidr.prefix > ROUTED_PREFIX_MAX) {
    throw new RangeError(
      `want a /${ROUTED_PREFIX_MIN} to /${ROUTED_PREFIX_MAX} (one /64 per peer), got /${cidr.prefix}`,
    );
  }
  const slots = 2 ** (ROUTED_PREFIX_MAX - cidr.prefix);
  if (peerCount > slots) {
    throw new RangeError(`a /${cidr.prefix} holds ${slots} /64s, but there are ${peerCount} peers`);
  }
  return cidr;
}

/** The index-th /64 of `prefix`. */
export function routedPrefixOf(prefix: Cidr, index: number): Cidr {
  const address = prefix.address.slice();
  let carry = BigInt(index);
  // Add the index to the upper 64 bits (the /64's network number), byte by byte from the right.
  for (let i = 7; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(address[i]) + (carry & 0xffn);
    address[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  for (let i = 8; i < 16; i++) address[i] = 0;
  return cidrOf(6, address, ROUTED_PREFIX_MAX);
}
