/**
 * IP addresses and prefixes as netlink carries them: raw bytes (4 or 16) plus a prefix length.
 * Parsing here is for configuration input, so every error names the text it was given.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../../protocol/endpoint.ts";

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
  return familyOf(text) === 4 ? parseIPv4(text) : parseIPv6(text);
}

/** Text of 4 or 16 address bytes. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIPv4(bytes);
  if (bytes.length === 16) return formatIPv6(bytes);
  throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
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
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const fam = familyOf(addr);
  if (family !== undefined && fam !== family) {
    throw new RangeError(`${text} is not an IPv${family} prefix`);
  }
  const max = fam === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    length = Number(lenText);
    if (!/^\d{1,3}$/.test(lenText) || length > max) {
      throw new RangeError(`prefix length must be 0-${max}: ${text}`);
    }
  }
  return { family: fam, address: parseAddress(addr), length };
}

/** `10.0.0.1/24` */
export function formatPrefix(p: IpPrefix): string {
  return `${formatAddress(p.address)}/${p.length}`;
}
