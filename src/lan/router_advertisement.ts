/**
 * Router Advertisement and Router Solicitation messages (RFC 4861), sans-IO: bytes in, bytes
 * out. The checksum field is left zero: on a raw ICMPv6 socket the kernel always computes it
 * (it needs the source address the kernel picks, RFC 3542 section 3.1).
 *
 * An RA here carries what a LAN needs to use a routed /64 through the tunnel: the router as
 * default router (router lifetime), the prefix for SLAAC (Prefix Information, on-link and
 * autonomous) and the tunnel MTU (MTU option), so LAN hosts never send packets the tunnel
 * would have to drop.
 */

export const ICMPV6_ROUTER_SOLICITATION = 133;
export const ICMPV6_ROUTER_ADVERTISEMENT = 134;
const OPTION_PREFIX_INFORMATION = 3;
const OPTION_MTU = 5;
const PIO_FLAG_ON_LINK = 0x80;
const PIO_FLAG_AUTONOMOUS = 0x40;
/** RA header: type, code, checksum, hop limit, flags, router lifetime, reachable, retrans. */
const RA_HEADER_SIZE = 16;
const PIO_SIZE = 32;
const MTU_OPTION_SIZE = 8;

export interface PrefixInformation {
  /** 16 bytes, bits beyond `prefixLength` zero. */
  address: Uint8Array;
  prefixLength: number;
  /** L flag: the prefix is on this link. */
  onLink: boolean;
  /** A flag: hosts may form addresses from it (SLAAC). */
  autonomous: boolean;
  validLifetimeS: number;
  /** 0 deprecates the addresses hosts formed from the prefix. */
  preferredLifetimeS: number;
}

export interface RouterAdvertisement {
  /** Hop limit hosts should use; 0 leaves theirs alone. */
  curHopLimit: number;
  /** Seconds hosts keep this router as a default router; 0: not a default router (any more). */
  routerLifetimeS: number;
  /** 0: unspecified. */
  reachableTimeMs: number;
  /** 0: unspecified. */
  retransTimerMs: number;
  prefixes: PrefixInformation[];
  /** The link MTU hosts should use; absent: no MTU option. */
  mtu?: number;
}

function checkRange(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`router advertisement ${what} must be an integer in 0..${max}, got ${v}`);
  }
}

/** The RA's ICMPv6 bytes (checksum zero, for the kernel to fill in). */
export function buildRouterAdvertisement(ra: RouterAdvertisement): Uint8Array {
  checkRange("curHopLimit", ra.curHopLimit, 0xff);
  checkRange("routerLifetimeS", ra.routerLifetimeS, 0xffff);
  checkRange("reachableTimeMs", ra.reachableTimeMs, 0xffffffff);
  checkRange("retransTimerMs", ra.retransTimerMs, 0xffffffff);
  const size = RA_HEADER_SIZE + ra.prefixes.length * PIO_SIZE +
    (ra.mtu === undefined ? 0 : MTU_OPTION_SIZE);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint8(0, ICMPV6_ROUTER_ADVERTISEMENT);
  // code 0, checksum 0 (kernel), flags 0: no DHCPv6 (M, O), addresses come from SLAAC.
  v.setUint8(4, ra.curHopLimit);
  v.setUint16(6, ra.routerLifetimeS);
  v.setUint32(8, ra.reachableTimeMs);
  v.setUint32(12, ra.retransTimerMs);
  let at = RA_HEADER_SIZE;
  for (const p of ra.prefixes) {
    if (p.address.length !== 16) throw new RangeError("prefix address must be 16 bytes");
    checkRange("prefixLength", p.prefixLength, 128);
    checkRange("validLifetimeS", p.validLifetimeS, 0xffffffff);
    checkRange("preferredLifetimeS", p.preferredLifetimeS, 0xffffffff);
    if (p.preferredLifetimeS > p.validLifetimeS) {
      // RFC 4862 5.5.3 c: hosts ignore such a prefix.
      throw new RangeError("preferred lifetime must not exceed valid lifetime");
    }
    v.setUint8(at, OPTION_PREFIX_INFORMATION);
    v.setUint8(at + 1, PIO_SIZE / 8);
    v.setUint8(at + 2, p.prefixLength);
    v.setUint8(
      at + 3,
      (p.onLink ? PIO_FLAG_ON_LINK : 0) | (p.autonomous ? PIO_FLAG_AUTONOMOUS : 0),
    );
    v.setUint32(at + 4, p.validLifetimeS);
    v.setUint32(at + 8, p.preferredLifetimeS);
    // at + 12: Reserved2, zero.
    out.set(p.address, at + 16);
    at += PIO_SIZE;
  }
  if (ra.mtu !== undefined) {
    checkRange("mtu", ra.mtu, 0xffffffff);
    v.setUint8(at, OPTION_MTU);
    v.setUint8(at + 1, MTU_OPTION_SIZE / 8);
    v.setUint32(at + 4, ra.mtu);
  }
  return out;
}

/**
 * Whether `bytes` (an ICMPv6 message as a raw socket delivers it, without the IPv6 header) is
 * a well-formed Router Solicitation: type 133, code 0, at least 8 bytes, options each of a
 * non-zero length that fits (RFC 4861 6.1.1). The kernel has checked the checksum.
 */
export function isRouterSolicitation(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes[0] !== ICMPV6_ROUTER_SOLICITATION || bytes[1] !== 0) return false;
  let at = 8;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) return false;
    const length = bytes[at + 1] * 8;
    if (length === 0 || at + length > bytes.length) return false;
    at += length;
  }
  return true;
}
