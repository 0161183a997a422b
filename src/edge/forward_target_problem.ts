/**
 * Which LAN targets a VPS forward may DNAT to. An IPv6 target must be a global unicast or a
 * unique local address: link-local, loopback, multicast and unspecified addresses are never
 * routed through the tunnel, so a DNAT to them would silently black-hole the port.
 */
import type { IpAddress } from "../net/ip_address.ts";

/** A reason the target cannot be forwarded to, or undefined when it can. */
export function forwardTargetProblem(target: IpAddress): string | undefined {
  const a = target.address;
  if (target.family === 4) {
    if (a[0] === 127) return `${target.text} is a loopback address`;
    if (a[0] >= 224) return `${target.text} is a multicast or reserved address`;
    if (a.every((b) => b === 0)) return `${target.text} is the unspecified address`;
    return undefined;
  }
  if (a[0] === 0xff) return `${target.text} is a multicast address`;
  if (a[0] === 0xfe && (a[1] & 0xc0) === 0x80) return `${target.text} is a link-local address`;
  const globalUnicast = (a[0] & 0xe0) === 0x20; // 2000::/3
  const uniqueLocal = (a[0] & 0xfe) === 0xfc; // fc00::/7
  if (!globalUnicast && !uniqueLocal) {
    return `${target.text} is neither a global (2000::/3) nor a unique local (fc00::/7) address`;
  }
  return undefined;
}
