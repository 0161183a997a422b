/**
 * The addressing scheme every lab topology shares: /24 and /64 subnets, link ends whose IPv6
 * host part repeats the IPv4 one's digits (203.0.113.10 pairs with 2001:db8:2::10), veth links
 * carrying both families, and dual-stack default routes.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";

/** One end of a link: the interface and its addresses (without prefix length). */
export interface LinkEnd {
  host: string;
  ifname: string;
  v4: string;
  v6: string;
}

/** A subnet of the lab, as CIDRs. */
export interface Subnet {
  v4: string;
  v6: string;
}

export const V4_PREFIX = 24;
export const V6_PREFIX = 64;

/** `v4Net` ends in ".0" ("192.0.2.0"), `v6Net` in "::" ("2001:db8:3::"). */
export function subnetOf(v4Net: string, v6Net: string): Subnet {
  return { v4: `${v4Net}/${V4_PREFIX}`, v6: `${v6Net}/${V6_PREFIX}` };
}

/** Host `hostPart` of the subnets `v4Net`/`v6Net`, on `host`'s interface `ifname`. */
export function endIn(
  host: string,
  ifname: string,
  v4Net: string,
  v6Net: string,
  hostPart: number,
): LinkEnd {
  return { host, ifname, v4: v4Net.replace(/\.0$/, `.${hostPart}`), v6: `${v6Net}${hostPart}` };
}

export function cidrsOf(e: LinkEnd): string[] {
  return [`${e.v4}/${V4_PREFIX}`, `${e.v6}/${V6_PREFIX}`];
}

/** A veth link between two ends, with their addresses (`offloads`: see Lab.link). */
export async function joinEnds(
  lab: Lab,
  a: LinkEnd,
  b: LinkEnd,
  mtu: number,
  offloads = false,
): Promise<void> {
  await lab.link(a.host, b.host, {
    ifA: a.ifname,
    ifB: b.ifname,
    addrA: cidrsOf(a),
    addrB: cidrsOf(b),
    mtu,
    offloads,
  });
}

/** IPv4 and IPv6 default routes of `host` via `gateway`. */
export async function defaultRoutesVia(lab: Lab, host: string, gateway: LinkEnd): Promise<void> {
  await lab.addDefaultRoute(host, gateway.v4);
  await lab.addDefaultRoute(host, gateway.v6);
}
