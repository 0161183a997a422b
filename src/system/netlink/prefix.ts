/**
 * IP addresses and prefixes as netlink carries them: raw bytes (4 or 16) plus a prefix length.
 * Parsing here is for configuration input, so every error names the text it was given.
 */
import { formatAddress, parseIpAddress } from "../../net/ip_address.ts";
import { parseCidr } from "../../net/cidr.ts";

export { formatAddress };

/** An address with a prefix length: `10.66.0.2/24` or `fd66::/64`. */
export interface IpPrefix {
  family: 4 | 6;
  /** 4 or 16 bytes. */
  address: Uint8Array;
  /** 0-32 or 0-128. */
  length: number;
}

/** The family of an address text: 6 when it holds a colon. */
export function familyOf(text: string): 4 | 6 {
  return text.includes(":") ? 6 : 4;
}

/** Address bytes of `text` (IPv4 dotted quad or IPv6). */
export function parseAddress(text: string): Uint8Array {
  return parseIpAddress(text).address;
}

/**
 * `10.0.0.1/24`, `2001:db8::/32`, or a bare address (a host prefix: /32 or /128).
 * `default` needs the family: `parsePrefix("default", 6)` is `::/0`.
 */
export function parsePrefix(text: string, family?: 4 | 6): IpPrefix {
  if (text === "default") {
    if (family === undefined) {
      throw new RangeError(`"default" needs a family (4 or 6): write 0.0.0.0/0 or ::/0`);
    }
    return { family, address: new Uint8Array(family === 4 ? 4 : 16), length: 0 };
  }
  const c = parseCidr(text);
  if (family !== undefined && c.family !== family) {
    throw new RangeError(`${text} is not an IPv${family} prefix`);
  }
  return { family: c.family, address: c.address, length: c.prefix };
}

/** `10.0.0.1/24` */
export function formatPrefix(p: IpPrefix): string {
  return `${formatAddress(p.address)}/${p.length}`;
}
