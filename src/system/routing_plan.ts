/**
 * What the daemon asks of the kernel's routing, as data: the routes and policy rules a role
 * needs, computed from the configuration without touching the system. The applier installs
 * them in order and removes them in reverse; keeping the plan pure lets it be unit-tested and
 * lets teardown undo exactly what setup did.
 *
 * Router with `routing.default_route`: every packet goes through the tunnel except the tunnel's
 * own UDP datagrams, which carry a firewall mark and so keep using the main table's underlay
 * default route. Two rules per address family do it, the main table's default route is never
 * touched:
 *   prio RULE_PRIORITY:     lookup main suppress_prefixlength 0  (specific routes still win)
 *   prio RULE_PRIORITY + 1: not fwmark FWMARK lookup ROUTE_TABLE  (default dev <tun>)
 */
import { type Cidr, cidrOf, formatCidr, networkOf, sameNetwork } from "../net/cidr.ts";

/** Firewall mark on the tunnel's own UDP sockets (SO_MARK): "bo" in ASCII. */
export const FWMARK = 0x626f;
/** Routing table holding the tunnel's default routes. */
export const ROUTE_TABLE = 0x626f;
/** Priority of the first of our two policy rules per family. */
export const RULE_PRIORITY = 25100;
export const MAIN_TABLE = 254;

export interface PlannedRoute {
  family: 4 | 6;
  /** Destination network (host bits cleared); prefix 0 = default. */
  dst: Cidr;
  table: number;
  /** Output device: the tunnel. */
  device: string;
}

export interface PlannedRule {
  family: 4 | 6;
  priority: number;
  table: number;
  /** `not fwmark MARK` when set. */
  notFwmark?: number;
  /** `suppress_prefixlength N` when set. */
  suppressPrefixLength?: number;
}

export interface RoutingPlan {
  routes: PlannedRoute[];
  rules: PlannedRule[];
  /** Mark to set on the tunnel's UDP sockets, if the plan relies on one. */
  socketMark?: number;
}

export interface RoutingInput {
  device: string;
  /** The tunnel interface's own addresses (their connected routes exist already). */
  interfaceAddresses: Cidr[];
  /** Allowed IPs of every peer. */
  allowedIps: Cidr[];
  /** Router only: route everything through the tunnel. */
  defaultRoute: boolean;
}

export function planRouting(input: RoutingInput): RoutingPlan {
  const routes: PlannedRoute[] = [];
  const rules: PlannedRule[] = [];
  const seen: Cidr[] = [];
  const defaultFamilies = new Set<4 | 6>();
  for (const allowed of input.allowedIps) {
    const dst = networkOf(allowed);
    if (dst.prefix === 0) {
      // A default route only where the user asked for full tunnelling; otherwise a 0/0 allowed
      // IP just means "accept anything from this peer".
      if (input.defaultRoute) defaultFamilies.add(dst.family);
      continue;
    }
    if (input.interfaceAddresses.some((a) => sameNetwork(a, dst))) continue; // connected route
    if (seen.some((s) => sameNetwork(s, dst))) continue;
    seen.push(dst);
    routes.push({ family: dst.family, dst, table: MAIN_TABLE, device: input.device });
  }
  for (const family of [4, 6] as const) {
    if (!defaultFamilies.has(family)) continue;
    // Only route a family into the tunnel if the tunnel can carry it from a source address.
    if (!input.interfaceAddresses.some((a) => a.family === family)) continue;
    const zero = cidrOf(family, new Uint8Array(family === 4 ? 4 : 16), 0);
    routes.push({ family, dst: zero, table: ROUTE_TABLE, device: input.device });
    rules.push({ family, priority: RULE_PRIORITY, table: MAIN_TABLE, suppressPrefixLength: 0 });
    rules.push({ family, priority: RULE_PRIORITY + 1, table: ROUTE_TABLE, notFwmark: FWMARK });
  }
  return { routes, rules, socketMark: rules.length > 0 ? FWMARK : undefined };
}

export function describeRoute(r: PlannedRoute): string {
  return `${formatCidr(r.dst)} dev ${r.device} table ${r.table}`;
}

export function describeRule(r: PlannedRule): string {
  const sel = r.notFwmark !== undefined ? `not fwmark 0x${r.notFwmark.toString(16)} ` : "";
  const sup = r.suppressPrefixLength !== undefined
    ? ` suppress_prefixlength ${r.suppressPrefixLength}`
    : "";
  return `ipv${r.family} prio ${r.priority} ${sel}lookup ${r.table}${sup}`;
}
