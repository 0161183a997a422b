/** IPv4/IPv6 prefixes ("10.66.0.2/24", "fd66::/64") parsed once, compared by bytes. */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../protocol/endpoint.ts";

export interface Cidr {
  family: 4 | 6;
  /** 4 or 16 bytes, as written (host bits kept: "10.66.0.2/24" is an interface address). */
  address: Uint8Array;
  prefix: number;
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family: 4 | 6 = addr.includes(":") ? 6 : 4;
  const address = family === 4 ? parseIPv4(addr) : parseIPv6(addr);
  const max = family === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!/^\d+$/.test(slash < 0 ? String(max) : text.slice(slash + 1)) || prefix > max) {
    throw new RangeError(`prefix length out of range 0-${max}: ${text}`);
  }
  return { family, address, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${c.family === 4 ? formatIPv4(c.address) : formatIPv6(c.address)}/${c.prefix}`;
}

/** The network of `c`: host bits cleared. */
export function networkOf(c: Cidr): Cidr {
  const address = c.address.slice();
  for (let bit = c.prefix; bit < address.length * 8; bit++) {
    address[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return { family: c.family, address, prefix: c.prefix };
}

export function sameNetwork(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family || a.prefix !== b.prefix) return false;
  const na = networkOf(a).address, nb = networkOf(b).address;
  return na.every((v, i) => v === nb[i]);
}
