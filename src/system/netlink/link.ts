/**
 * Network links (interfaces): look up, bring up/down, set the MTU, delete.
 * A link is named either way: by name ("bnd0") or by index (7).
 */
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
  IFF_LOWER_UP,
  IFF_UP,
  IFINFOMSG_SIZE,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_OPERSTATE,
  OPERSTATES,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "./constants.ts";
import type { NetlinkSocket } from "./socket.ts";

/** A link by name or by interface index. */
export type LinkRef = string | number;

export interface LinkInfo {
  index: number;
  name: string;
  mtu: number;
  /** IFF_* flags (IFF_UP = 1, IFF_RUNNING = 0x40, IFF_LOWER_UP = 0x10000...). */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  lowerUp: boolean;
  /** RFC 2863 state: "UP", "DOWN", "UNKNOWN" (what TUN devices report), "LOWERLAYERDOWN"... */
  operstate: string;
}

/** Options for deletions the daemon's teardown repeats. */
export interface DeleteOptions {
  /** Treat "already gone" as success. @default false */
  missingOk?: boolean;
}

function linkMessage(type: number, flags: number, link: LinkRef, fill?: (v: DataView) => void) {
  const msg = new MessageBuilder(type, flags).header(IFINFOMSG_SIZE, (v) => {
    // struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change; }
    if (typeof link === "number") v.setInt32(4, checkIndex(link), true);
    fill?.(v);
  });
  if (typeof link === "string") msg.string(IFLA_IFNAME, checkName(link));
  return msg;
}

function checkIndex(index: number): number {
  if (!Number.isInteger(index) || index < 1 || index > 0x7fffffff) {
    throw new RangeError(`interface index must be a positive integer: ${index}`);
  }
  return index;
}

function checkName(name: string): string {
  if (name.length === 0 || new TextEncoder().encode(name).length > 15 || name.includes("/")) {
    throw new RangeError(`interface name must be 1-15 bytes without "/": ${JSON.stringify(name)}`);
  }
  return name;
}

function describe(link: LinkRef): string {
  return typeof link === "number" ? `index ${link}` : link;
}

/** Decode an RTM_NEWLINK message. */
export function parseLink(m: NetlinkMessage): LinkInfo {
  const v = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  const flags = v.getUint32(8, true);
  const attrs = parseAttributes(m.body, IFINFOMSG_SIZE);
  const name = attrs.get(IFLA_IFNAME);
  const mtu = attrs.get(IFLA_MTU);
  const oper = attrs.get(IFLA_OPERSTATE);
  return {
    index: v.getInt32(4, true),
    name: name === undefined ? "" : readString(name),
    mtu: mtu === undefined ? 0 : readU32(mtu),
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    operstate: oper === undefined ? "UNKNOWN" : OPERSTATES[readU8(oper)] ?? `${readU8(oper)}`,
  };
}

/** One link; throws SyscallError ENODEV when it does not exist. */
export function getLink(nl: NetlinkSocket, link: LinkRef): LinkInfo {
  const replies = nl.request(linkMessage(RTM_GETLINK, 0, link), describe(link));
  const m = replies.find((r) => r.type === RTM_NEWLINK);
  if (m === undefined) throw new Error(`RTM_GETLINK(${describe(link)}): no link in the answer`);
  return parseLink(m);
}

/** Every link in this network namespace. */
export function listLinks(nl: NetlinkSocket): LinkInfo[] {
  const msg = new MessageBuilder(RTM_GETLINK, 0).header(IFINFOMSG_SIZE, () => {});
  return nl.dump(msg, "all links").filter((m) => m.type === RTM_NEWLINK).map(parseLink);
}

/** The interface index of `name`; throws SyscallError ENODEV when there is no such link. */
export function linkIndex(nl: NetlinkSocket, link: LinkRef): number {
  return typeof link === "number" ? checkIndex(link) : getLink(nl, link).index;
}

/** Bring a link administratively up or down (`ip link set DEV up|down`). */
export function setLinkUp(nl: NetlinkSocket, link: LinkRef, up: boolean): void {
  const msg = linkMessage(RTM_NEWLINK, 0, link, (v) => {
    v.setUint32(8, up ? IFF_UP : 0, true); // flags
    v.setUint32(12, IFF_UP, true); // change: only IFF_UP is touched
  });
  nl.request(msg, `${describe(link)} ${up ? "up" : "down"}`);
}

/** Set a link's MTU (`ip link set DEV mtu N`). */
export function setLinkMtu(nl: NetlinkSocket, link: LinkRef, mtu: number): void {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new RangeError(`mtu must be 68-65535: ${mtu}`);
  }
  nl.request(linkMessage(RTM_NEWLINK, 0, link).u32(IFLA_MTU, mtu), `${describe(link)} mtu ${mtu}`);
}

/** Delete a link (`ip link del DEV`); with `missingOk`, a link already gone is fine. */
export function deleteLink(nl: NetlinkSocket, link: LinkRef, options: DeleteOptions = {}): void {
  try {
    nl.request(linkMessage(RTM_DELLINK, 0, link), describe(link));
  } catch (err) {
    if (options.missingOk && isErrno(err, "ENODEV")) return;
    throw err;
  }
}
