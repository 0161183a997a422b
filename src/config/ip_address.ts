/**
 * IP addresses and prefixes as they appear in the config file, parsed into bytes once so the
 * daemon never re-parses text. Throws RangeError with the offending text; the validator turns
 * that into a problem naming the key.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../protocol/endpoint.ts";
import type { Cidr } from "./types.ts";

export interface IpAddress {
  family: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6. */
  address: Uint8Array;
  /** Canonical text (IPv6 per RFC 5952). */
  text: string;
}

/** An IPv4 or IPv6 literal; IPv6 without brackets. */
export function parseIpAddress(text: string): IpAddress {
  if (text.includes(":")) {
    const address = parseIPv6(text);
    return { family: 6, address, text: formatIPv6(address) };
  }
  const address = parseIPv4(text);
  return { family: 4, address, text: formatIPv4(address) };
}

/**
 * `address/prefix`. A missing prefix means a single host (/32 or /128), as WireGuard's own
 * tools read AllowedIPs. The prefix must be decimal and within the family's bit length.
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
