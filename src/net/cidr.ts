/**
 * IP prefixes ("10.66.0.2/24", "fd66::/64"), parsed once into bytes and compared by bytes.
 * The one prefix parser of bond: config, allowed IPs, netlink, nftables and routing use it.
 */
import { formatAddress, parseIpAddress } from "./ip_address.ts";

export interface Cidr {
  family: 4 | 6;
  /** 4 or 16 bytes, as written: host bits kept ("10.66.0.2/24" is an interface address). */
  address: Uint8Array;
  /** 0-32 for IPv4, 0-128 for IPv6. */
  prefix: number;
  /** Canonical text, always with the prefix: `10.66.0.2/24`, `fd66::2/64`. */
  text: string;
}

/**
 * `address/prefix`. A missing prefix means a single host (/32 or /128), as WireGuard's tools
 * read AllowedIPs. The prefix must be decimal and within the family's bit length.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const ip = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  const bits = ip.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) throw new RangeError(`bad prefix length "${p}" in ${text}`);
    prefix = Number(p);
    if (prefix > bits) {
      throw new RangeError(
        `prefix length ${prefix} out of range 0-${bits} for IPv${ip.family} in ${text}`,
      );
    }
  }
  return { family: ip.family, address: ip.address, prefix, text: `${ip.text}/${prefix}` };
}

export function formatCidr(c: Cidr): string {
  return c.text;
}

/** The network of `c`: host bits cleared. */
export function networkOf(c: Cidr): Cidr {
  const address = c.address.slice();
  for (let bit = c.prefix; bit < address.length * 8; bit++) {
    address[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return cidrOf(c.family, address, c.prefix);
}

/** A Cidr from bytes (e.g. `0.0.0.0/0`). */
export function cidrOf(family: 4 | 6, address: Uint8Array, prefix: number): Cidr {
  if (address.length !== (family === 4 ? 4 : 16)) {
    throw new RangeError(`IPv${family} address needs ${family === 4 ? 4 : 16} bytes`);
  }
  return { family, address, prefix, text: `${formatAddress(address)}/${prefix}` };
}

export function sameNetwork(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family || a.prefix !== b.prefix) return false;
  const na = networkOf(a).address, nb = networkOf(b).address;
  return na.every((v, i) => v === nb[i]);
}
