/**
 * Policy routing rules (`ip rule`): which table a packet is looked up in, chosen by fwmark,
 * source, destination... The router's full-tunnel setup is built from these, e.g.
 * `not fwmark M table T` (everything not from our underlay sockets goes to the tunnel table)
 * and `table main suppress_prefixlength 0` (use main, except its default route).
 */
import { AF_INET, AF_INET6 } from "../../../ffi/constants.ts";
import { isErrno } from "../../../ffi/errno.ts";
import {
  MessageBuilder,
  type NetlinkMessage,
  parseAttributes,
  readString,
  readU32,
  readU8,
} from "./attributes.ts";
import {
  FIB_RULE_HDR_SIZE,
  FIB_RULE_INVERT,
  FR_ACT_BLACKHOLE,
  FR_ACT_NOP,
  FR_ACT_PROHIBIT,
  FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE,
  FRA_DPORT_RANGE,
  FRA_DST,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_IIFNAME,
  FRA_IP_PROTO,
  FRA_OIFNAME,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SPORT_RANGE,
  FRA_SRC,
  FRA_SUPPRESS_PREFIXLEN,
  FRA_TABLE,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RT_TABLE_UNSPEC,
  RTM_DELRULE,
  RTM_GETRULE,
  RTM_NEWRULE,
} from "./constants.ts";
import type { DeleteOptions } from "./link.ts";
import { formatPrefix, parsePrefix } from "./prefix.ts";
import type { NetlinkSocket } from "./socket.ts";

/** What a matching rule does. */
export type RuleAction = "table" | "nop" | "blackhole" | "unreachable" | "prohibit";

const ACTIONS: Readonly<Record<RuleAction, number>> = {
  table: FR_ACT_TO_TBL,
  nop: FR_ACT_NOP,
  blackhole: FR_ACT_BLACKHOLE,
  unreachable: FR_ACT_UNREACHABLE,
  prohibit: FR_ACT_PROHIBIT,
};
const ACTION_NAMES = new Map(Object.entries(ACTIONS).map(([k, v]) => [v, k as RuleAction]));

/** A rule to add or delete. For a delete, fields left out match anything. */
export interface RuleSpec {
  family: 4 | 6;
  /** Rule priority (`pref`); lower runs first. The kernel picks one when left out on add. */
  priority?: number;
  /** Table to look up (action "table"). */
  table?: number;
  /** @default "table" */
  action?: RuleAction;
  /** Match packets with this fwmark (under `fwmask`). */
  fwmark?: number;
  /** Mask for `fwmark`. @default 0xffffffff */
  fwmask?: number;
  /** Match source prefix ("192.168.1.0/24"). */
  from?: string;
  /** Match destination prefix. */
  to?: string;
  /** Ignore lookup results whose prefix is this long or shorter (0 = ignore default routes). */
  suppressPrefixLength?: number;
  /** Match packets that do NOT match the selectors (`not`). @default false */
  invert?: boolean;
  /** Match packets arriving on this link name. */
  iif?: string;
  /** Match packets leaving through this link name (VRF/socket-bound lookups). */
  oif?: string;
  /** RTPROT_* number recorded with the rule (tells whose rule it is). */
  protocol?: number;
  /** Match this IP protocol (`ipproto`, 6 = TCP); the ports below need one. */
  ipProto?: number;
  /** Match this source port (`sport`). */
  sport?: number;
  /** Match this destination port (`dport`). */
  dport?: number;
}

export interface RuleInfo {
  family: 4 | 6;
  priority: number;
  action: RuleAction | `${number}`;
  table: number;
  invert: boolean;
  fwmark?: number;
  fwmask?: number;
  from?: string;
  to?: string;
  suppressPrefixLength?: number;
  iif?: string;
  oif?: string;
  protocol?: number;
  ipProto?: number;
  /** Port ranges, [start, end]. */
  sport?: [number, number];
  dport?: [number, number];
}

function checkU32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what} must be a 32-bit unsigned integer: ${value}`);
  }
  return value;
}

function checkPort(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new RangeError(`${what} must be 1-65535: ${value}`);
  }
  return value;
}

/** A single port as struct fib_rule_port_range (start = end, host byte order). */
function portRange(port: number, what: string): Uint8Array {
  const range = new Uint8Array(4);
  const v = new DataView(range.buffer);
  v.setUint16(0, checkPort(port, what), true);
  v.setUint16(2, port, true);
  return range;
}

function ruleMessage(kind: number, flags: number, spec: RuleSpec): MessageBuilder {
  if (spec.family !== 4 && spec.family !== 6) {
    throw new RangeError(`rule family must be 4 or 6: ${spec.family}`);
  }
  const isDelete = kind === RTM_DELRULE;
  const actionName = spec.action ?? (isDelete && spec.table === undefined ? undefined : "table");
  const action = actionName === undefined ? 0 : ACTIONS[actionName];
  if (action === undefined) throw new RangeError(`unknown rule action: ${actionName}`);
  if (!isDelete && actionName === "table" && spec.table === undefined) {
    throw new RangeError(`rule with action "table" needs a table number`);
  }
  const table = spec.table === undefined ? undefined : checkU32(spec.table, "rule table");
  const from = spec.from === undefined ? undefined : parsePrefix(spec.from, spec.family);
  const to = spec.to === undefined ? undefined : parsePrefix(spec.to, spec.family);
  const msg = new MessageBuilder(kind, flags).header(FIB_RULE_HDR_SIZE, (v) => {
    // struct fib_rule_hdr { u8 family, dst_len, src_len, tos, table, res1, res2, action; u32 flags; }
    v.setUint8(0, spec.family === 4 ? AF_INET : AF_INET6);
    v.setUint8(1, to?.length ?? 0);
    v.setUint8(2, from?.length ?? 0);
    v.setUint8(4, table !== undefined && table < 256 ? table : RT_TABLE_UNSPEC);
    v.setUint8(7, action);
    v.setUint32(8, spec.invert ? FIB_RULE_INVERT : 0, true);
  });
  if (table !== undefined) msg.u32(FRA_TABLE, table);
  if (spec.priority !== undefined) msg.u32(FRA_PRIORITY, checkU32(spec.priority, "rule priority"));
  if (spec.fwmark !== undefined) {
    msg.u32(FRA_FWMARK, checkU32(spec.fwmark, "rule fwmark"));
    msg.u32(FRA_FWMASK, checkU32(spec.fwmask ?? 0xffffffff, "rule fwmask"));
  }
  if (from !== undefined && from.length > 0) msg.bytes(FRA_SRC, from.address);
  if (to !== undefined && to.length > 0) msg.bytes(FRA_DST, to.address);
  if (spec.suppressPrefixLength !== undefined) {
    const n = spec.suppressPrefixLength;
    if (!Number.isInteger(n) || n < 0 || n > (spec.family === 4 ? 32 : 128)) {
      throw new RangeError(
        `rule suppressPrefixLength must be 0-${spec.family === 4 ? 32 : 128}: ${n}`,
      );
    }
    msg.u32(FRA_SUPPRESS_PREFIXLEN, n);
  }
  if (spec.iif !== undefined) msg.string(FRA_IIFNAME, spec.iif);
  if (spec.oif !== undefined) msg.string(FRA_OIFNAME, spec.oif);
  if (spec.protocol !== undefined) msg.u8(FRA_PROTOCOL, spec.protocol);
  if ((spec.sport !== undefined || spec.dport !== undefined) && spec.ipProto === undefined) {
    throw new RangeError("a rule matching ports needs ipProto");
  }
  if (spec.ipProto !== undefined) {
    if (!Number.isInteger(spec.ipProto) || spec.ipProto < 0 || spec.ipProto > 255) {
      throw new RangeError(`rule ipProto must be 0-255: ${spec.ipProto}`);
    }
    msg.u8(FRA_IP_PROTO, spec.ipProto);
  }
  if (spec.sport !== undefined) msg.bytes(FRA_SPORT_RANGE, portRange(spec.sport, "rule sport"));
  if (spec.dport !== undefined) msg.bytes(FRA_DPORT_RANGE, portRange(spec.dport, "rule dport"));
  return msg;
}

function describe(spec: RuleSpec): string {
  const parts: string[] = [`IPv${spec.family}`];
  if (spec.priority !== undefined) parts.push(`pref ${spec.priority}`);
  if (spec.invert) parts.push("not");
  if (spec.from !== undefined) parts.push(`from ${spec.from}`);
  if (spec.to !== undefined) parts.push(`to ${spec.to}`);
  if (spec.fwmark !== undefined) {
    parts.push(`fwmark 0x${spec.fwmark.toString(16)}`);
    if (spec.fwmask !== undefined) parts.push(`/0x${spec.fwmask.toString(16)}`);
  }
  if (spec.iif !== undefined) parts.push(`iif ${spec.iif}`);
  if (spec.oif !== undefined) parts.push(`oif ${spec.oif}`);
  if (spec.ipProto !== undefined) parts.push(`ipproto ${spec.ipProto}`);
  if (spec.sport !== undefined) parts.push(`sport ${spec.sport}`);
  if (spec.dport !== undefined) parts.push(`dport ${spec.dport}`);
  if (spec.table !== undefined) parts.push(`table ${spec.table}`);
  if (spec.action !== undefined && spec.action !== "table") parts.push(spec.action);
  if (spec.suppressPrefixLength !== undefined) {
    parts.push(`suppress_prefixlength ${spec.suppressPrefixLength}`);
  }
  return parts.join(" ");
}

/** Add a rule (`ip rule add`). Throws SyscallError EEXIST if an identical rule exists. */
export function addRule(nl: NetlinkSocket, spec: RuleSpec): void {
  nl.request(ruleMessage(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, spec), describe(spec));
}

/**
 * Delete the first rule matching `spec` (`ip rule del`). With `missingOk`, no match (ENOENT)
 * is fine.
 */
export function deleteRule(nl: NetlinkSocket, spec: RuleSpec, options: DeleteOptions = {}): void {
  try {
    nl.request(ruleMessage(RTM_DELRULE, 0, spec), describe(spec));
  } catch (err) {
    if (options.missingOk && isErrno(err, "ENOENT")) return;
    throw err;
  }
}

/** Decode an RTM_NEWRULE message. */
export function parseRule(m: NetlinkMessage): RuleInfo {
  const b = m.body;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = b[0] === AF_INET ? 4 : 6;
  const attrs = parseAttributes(b, FIB_RULE_HDR_SIZE);
  const u32 = (type: number) => {
    const a = attrs.get(type);
    return a === undefined ? undefined : readU32(a);
  };
  const prefix = (type: number, length: number) => {
    const a = attrs.get(type);
    return a === undefined ? undefined : formatPrefix({ family, address: a, length });
  };
  const info: RuleInfo = {
    family,
    priority: u32(FRA_PRIORITY) ?? 0,
    action: ACTION_NAMES.get(b[7]) ?? `${b[7]}`,
    table: u32(FRA_TABLE) ?? b[4],
    invert: (v.getUint32(8, true) & FIB_RULE_INVERT) !== 0,
  };
  const fwmark = u32(FRA_FWMARK);
  if (fwmark !== undefined) info.fwmark = fwmark;
  const fwmask = u32(FRA_FWMASK);
  if (fwmask !== undefined) info.fwmask = fwmask;
  const from = prefix(FRA_SRC, b[2]);
  if (from !== undefined) info.from = from;
  const to = prefix(FRA_DST, b[1]);
  if (to !== undefined) info.to = to;
  // The kernel reports 0xffffffff (-1) when suppress_prefixlength is not set.
  const suppress = u32(FRA_SUPPRESS_PREFIXLEN);
  if (suppress !== undefined && suppress !== 0xffffffff) info.suppressPrefixLength = suppress;
  const iif = attrs.get(FRA_IIFNAME);
  if (iif !== undefined) info.iif = readString(iif);
  const oif = attrs.get(FRA_OIFNAME);
  if (oif !== undefined) info.oif = readString(oif);
  const protocol = attrs.get(FRA_PROTOCOL);
  if (protocol !== undefined) info.protocol = readU8(protocol);
  const ipProto = attrs.get(FRA_IP_PROTO);
  if (ipProto !== undefined) info.ipProto = readU8(ipProto);
  for (const [key, type] of [["sport", FRA_SPORT_RANGE], ["dport", FRA_DPORT_RANGE]] as const) {
    const range = attrs.get(type);
    if (range === undefined || range.length < 4) continue;
    const r = new DataView(range.buffer, range.byteOffset, 4);
    info[key] = [r.getUint16(0, true), r.getUint16(2, true)];
  }
  return info;
}

/** The rules of one family, in priority order (`ip rule show`). */
export function listRules(nl: NetlinkSocket, family: 4 | 6): RuleInfo[] {
  const msg = new MessageBuilder(RTM_GETRULE, 0).header(FIB_RULE_HDR_SIZE, (v) => {
    v.setUint8(0, family === 4 ? AF_INET : AF_INET6);
  });
  return nl.dump(msg, `IPv${family} rules`)
    .filter((m) => m.type === RTM_NEWRULE)
    .map(parseRule)
    .filter((r) => r.family === family);
}
