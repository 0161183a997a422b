/**
 * Whether an address lies inside a prefix, by bytes. The forward table needs it to check that a
 * forward's LAN target is routed to the peer that asked for it (its allowed IPs), and the
 * routed IPv6 prefix needs it to tell which peer a /64 belongs to.
 */
import type { Cidr } from "../net/cidr.ts";

export function prefixContains(prefix: Cidr, family: 4 | 6, address: Uint8Array): boolean {
  if (prefix.family !== family || address.length !== prefix.address.length) return false;
  const whole = prefix.prefix >> 3;
  for (let i = 0; i < whole; i++) if (prefix.address[i] !== address[i]) return false;
  const rest = prefix.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (prefix.address[whole] & mask) === (address[whole] & mask);
}
