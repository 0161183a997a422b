/**
 * Routes: add, replace, delete, list a table, and ask the kernel which route one destination
 * takes (`ip route get`), which the router uses to keep its VPS endpoint on the underlay.
 */
import { AF_INET, AF_INET6 } from "../../../ffi/constants.ts";
import { isErrno } from "../../../ffi/errno.ts";
import { MessageBuilder, type NetlinkMessage, parseAttributes, readU32 } from "./attributes.ts";
import {
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTA_DST,
  RTA_GATEWAY,
  RTA_MARK,
  RTA_METRICS,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SRC,
  RTA_TABLE,
  RTAX_INITCWND,
  RTAX_INITRWND,
  RTAX_MTU,
  RTM_DELROUTE,
  RTM_F_LOOKUP_TABLE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTMSG_SIZE,
  RTN_ANYCAST,
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTPROT_STATIC,
} from "./constants.ts";
import { type DeleteOptions, linkIndex, type LinkRef } from "./link.ts";
import {
  familyOf,
  formatAddress,
  formatPrefix,
  type IpPrefix,
  parseAddress,
  parsePrefix,
} from "./prefix.ts";
import type { NetlinkSocket } from "./socket.ts";

/** Route types the daemon uses, plus the ones a table listing may show. */
export type RouteType =
  | "unicast"
  | "local"
  | "broadcast"
  | "anycast"
  | "multicast"
  | "blackhole"
  | "unreachable"
  | "prohibit"
  | "throw";

const ROUTE_TYPES: Readonly<Record<RouteType, number>> = {
  unicast: RTN_UNICAST,
  local: RTN_LOCAL,
  broadcast: RTN_BROADCAST,
  anycast: RTN_ANYCAST,
  multicast: RTN_MULTICAST,
  blackhole: RTN_BLACKHOLE,
  unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT,
  throw: RTN_THROW,
};

const TYPE_NAMES = new Map(Object.entries(ROUTE_TYPES).map(([k, v]) => [v, k as RouteType]));

/** What to add or delete. Only `dst` is required. */
export interface RouteSpec {
  /** "10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0"; a bare address is a host route. */
  dst: string;
  /** Next hop address (same family as `dst`). */
  gateway?: string;
  /** Output link (`dev`). */
  oif?: LinkRef;
  /** Routing table number (1-4294967294). @default 254 (main) */
  table?: number;
  /** Route metric (`metric`/`priority`). */
  metric?: number;
  /** @default "unicast" */
  type?: RouteType;
  /** Preferred source address for locally originated packets. */
  prefsrc?: string;
  /** Route MTU (`mtu N`). */
  mtu?: number;
  /** Initial congestion window, in packets, of TCP connections this host makes over the route. */
  initcwnd?: number;
  /** Initial receive window, in packets, that they advertise. */
  initrwnd?: number;
  /** RTPROT_* number recorded with the route (tells whose route it is). @default 4 (static) */
  protocol?: number;
}

/** A route as the kernel reports it. */
export interface RouteInfo {
  family: 4 | 6;
  /** Destination prefix, "0.0.0.0/0" for a default route. */
  dst: string;
  type: RouteType | `${number}`;
  table: number;
  protocol: number;
  scope: number;
  gateway?: string;
  oif?: number;
  prefsrc?: string;
  metric?: number;
  /** From the route's metrics (RTA_METRICS), when set. */
  mtu?: number;
  initcwnd?: number;
  initrwnd?: number;
}

/** The route metrics `RouteSpec` can set, by RTAX_* number. */
const ROUTE_METRICS = [
  ["mtu", RTAX_MTU],
  ["initcwnd", RTAX_INITCWND],
  ["initrwnd", RTAX_INITRWND],
] as const;

function checkTable(table: number): number {
  if (!Number.isInteger(table) || table < 1 || table > 0xfffffffe) {
    throw new RangeError(`route table must be 1-4294967294: ${table}`);
  }
  return table;
}

function checkU32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what} must be a 32-bit unsigned integer: ${value}`);
  }
  return value;
}

function routeType(type: RouteType): number {
  const n = ROUTE_TYPES[type];
  if (n === undefined) throw new RangeError(`unknown route type: ${type}`);
  return n;
}

function familyCode(family: 4 | 6): number {
  return family === 4 ? AF_INET : AF_INET6;
}

function sameFamily(text: string, dst: IpPrefix, what: string): Uint8Array {
  if (familyOf(text) !== dst.family) {
    throw new RangeError(`route ${what} ${text} is not IPv${dst.family} like ${formatPrefix(dst)}`);
  }
  return parseAddress(text);
}

/** Build RTM_NEWROUTE/RTM_DELROUTE. A delete leaves unset fields as wildcards. */
function routeMessage(nl: NetlinkSocket, kind: number, flags: number, spec: RouteSpec) {
  const dst = parsePrefix(spec.dst);
  const table = checkTable(spec.table ?? RT_TABLE_MAIN);
  const isDelete = kind === RTM_DELROUTE;
  const type = spec.type === undefined ? (isDelete ? 0 : RTN_UNICAST) : routeType(spec.type);
  // Without a gateway a unicast route is "directly connected": scope link, as `ip` does. A
  // delete uses scope "nowhere", which the kernel reads as "any scope".
  let scope = RT_SCOPE_UNIVERSE;
  if (isDelete) scope = RT_SCOPE_NOWHERE;
  else if (type === RTN_LOCAL) scope = RT_SCOPE_HOST;
  else if (type === RTN_UNICAST && spec.gateway === undefined) scope = RT_SCOPE_LINK;
  const protocol = spec.protocol ?? (isDelete ? 0 : RTPROT_STATIC);
  const msg = new MessageBuilder(kind, flags).header(RTMSG_SIZE, (v) => {
    // struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }
    v.setUint8(0, familyCode(dst.family));
    v.setUint8(1, dst.length);
    // Tables above 255 only fit in RTA_TABLE; the byte then says "unspecified".
    v.setUint8(4, table < 256 ? table : RT_TABLE_UNSPEC);
    v.setUint8(5, protocol);
    v.setUint8(6, scope);
    v.setUint8(7, type);
  });
  msg.u32(RTA_TABLE, table);
  if (dst.length > 0) msg.bytes(RTA_DST, dst.address);
  if (spec.gateway !== undefined) msg.bytes(RTA_GATEWAY, sameFamily(spec.gateway, dst, "gateway"));
  if (spec.prefsrc !== undefined) msg.bytes(RTA_PREFSRC, sameFamily(spec.prefsrc, dst, "prefsrc"));
  if (spec.oif !== undefined) msg.u32(RTA_OIF, linkIndex(nl, spec.oif));
  if (spec.metric !== undefined) msg.u32(RTA_PRIORITY, checkU32(spec.metric, "route metric"));
  const metrics = ROUTE_METRICS.filter(([name]) => spec[name] !== undefined)
    .map(([name, rtax]) => [rtax, checkU32(spec[name]!, `route ${name}`)] as const);
  if (metrics.length > 0) {
    msg.nest(RTA_METRICS, (m) => {
      for (const [rtax, value] of metrics) m.u32(rtax, value);
    });
  }
  return msg;
}

function describe(spec: RouteSpec): string {
  const parts = [spec.type && spec.type !== "unicast" ? `${spec.type} ${spec.dst}` : spec.dst];
  if (spec.gateway !== undefined) parts.push(`via ${spec.gateway}`);
  if (spec.oif !== undefined) parts.push(`dev ${spec.oif}`);
  parts.push(`table ${spec.table ?? RT_TABLE_MAIN}`);
  if (spec.metric !== undefined) parts.push(`metric ${spec.metric}`);
  for (const [name] of ROUTE_METRICS) {
    if (spec[name] !== undefined) parts.push(`${name} ${spec[name]}`);
  }
  return parts.join(" ");
}

/**
 * Add a route (`ip route add`). Throws SyscallError EEXIST when an equal route exists; use
 * `replaceRoute` for "make it so".
 */
export function addRoute(nl: NetlinkSocket, spec: RouteSpec): void {
  nl.request(routeMessage(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, spec), describe(spec));
}

/** Add or overwrite a route (`ip route replace`): idempotent. */
export function replaceRoute(nl: NetlinkSocket, spec: RouteSpec): void {
  nl.request(routeMessage(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, spec), describe(spec));
}

/**
 * Delete a route (`ip route del`): fields left out match anything. With `missingOk`, a route
 * already gone (ESRCH/ENOENT) or whose link is gone (ENODEV) is fine.
 */
export function deleteRoute(nl: NetlinkSocket, spec: RouteSpec, options: DeleteOptions = {}): void {
  try {
    nl.request(routeMessage(nl, RTM_DELROUTE, 0, spec), describe(spec));
  } catch (err) {
    if (options.missingOk && isErrno(err, "ESRCH", "ENOENT", "ENODEV")) return;
    throw err;
  }
}

/** Decode an RTM_NEWROUTE message. */
export function parseRoute(m: NetlinkMessage): RouteInfo {
  const b = m.body;
  const family = b[0] === AF_INET ? 4 : 6;
  const attrs = parseAttributes(b, RTMSG_SIZE);
  const dst = attrs.get(RTA_DST);
  const tableAttr = attrs.get(RTA_TABLE);
  const gw = attrs.get(RTA_GATEWAY);
  const oif = attrs.get(RTA_OIF);
  const prefsrc = attrs.get(RTA_PREFSRC);
  const metric = attrs.get(RTA_PRIORITY);
  const info: RouteInfo = {
    family,
    dst: formatPrefix({
      family,
      address: dst ?? new Uint8Array(family === 4 ? 4 : 16),
      length: b[1],
    }),
    type: TYPE_NAMES.get(b[7]) ?? `${b[7]}`,
    table: tableAttr === undefined ? b[4] : readU32(tableAttr),
    protocol: b[5],
    scope: b[6],
  };
  if (gw !== undefined) info.gateway = formatAddress(gw);
  if (oif !== undefined) info.oif = readU32(oif);
  if (prefsrc !== undefined) info.prefsrc = formatAddress(prefsrc);
  if (metric !== undefined) info.metric = readU32(metric);
  const metrics = attrs.get(RTA_METRICS);
  if (metrics !== undefined) {
    const values = parseAttributes(metrics);
    for (const [name, rtax] of ROUTE_METRICS) {
      const value = values.get(rtax);
      if (value !== undefined) info[name] = readU32(value);
    }
  }
  return info;
}

/** Routes of one family, optionally only those of one table (`ip route show table N`). */
export function listRoutes(
  nl: NetlinkSocket,
  filter: { family: 4 | 6; table?: number },
): RouteInfo[] {
  const msg = new MessageBuilder(RTM_GETROUTE, 0).header(RTMSG_SIZE, (v) => {
    v.setUint8(0, familyCode(filter.family));
  });
  return nl.dump(msg, `IPv${filter.family} routes`)
    .filter((m) => m.type === RTM_NEWROUTE)
    .map(parseRoute)
    .filter((r) => r.family === filter.family)
    .filter((r) => filter.table === undefined || r.table === filter.table);
}

/** Extra selectors for `getRoute`, as `ip route get DST mark M oif DEV from SRC`. */
export interface RouteQuery {
  /** fwmark of the packet (e.g. the one the underlay sockets carry). */
  mark?: number;
  /** Pretend the packet leaves through this link. */
  oif?: LinkRef;
  /** Source address of the packet. */
  from?: string;
}

/**
 * The route the kernel would use for `dst` right now (`ip route get`): its gateway, output
 * link and preferred source. Throws SyscallError ENETUNREACH when there is none.
 */
export function getRoute(nl: NetlinkSocket, dst: string, query: RouteQuery = {}): RouteInfo {
  const family = familyOf(dst);
  const full = family === 4 ? 32 : 128;
  const dstBytes = parseAddress(dst);
  const msg = new MessageBuilder(RTM_GETROUTE, 0).header(RTMSG_SIZE, (v) => {
    v.setUint8(0, familyCode(family));
    v.setUint8(1, full);
    if (query.from !== undefined) v.setUint8(2, full);
    v.setUint32(8, RTM_F_LOOKUP_TABLE, true);
  });
  msg.bytes(RTA_DST, dstBytes);
  if (query.from !== undefined) {
    msg.bytes(RTA_SRC, sameFamily(query.from, { family, address: dstBytes, length: full }, "from"));
  }
  if (query.mark !== undefined) msg.u32(RTA_MARK, checkU32(query.mark, "route query mark"));
  if (query.oif !== undefined) msg.u32(RTA_OIF, linkIndex(nl, query.oif));
  const context = [dst, ...Object.entries(query).map(([k, v]) => `${k} ${v}`)].join(" ");
  const answer = nl.request(msg, context).find((m) => m.type === RTM_NEWROUTE);
  if (answer === undefined) throw new Error(`RTM_GETROUTE(${context}): no route in the answer`);
  return parseRoute(answer);
}
