/**
 * Interface addresses: add, delete, list (`ip addr`). IPv6 addresses are added with
 * IFA_F_NODAD by default: the tunnel address must be usable at once, not after duplicate
 * address detection (which would leave it "tentative" for a second or more).
 */
import { isErrno } from "../../../ffi/errno.ts";
import {
  MessageBuilder,
  type NetlinkMessage,
  parseAttributes,
  readString,
  readU32,
} from "./attributes.ts";
import {
  IFA_ADDRESS,
  IFA_F_NODAD,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  IFADDRMSG_SIZE,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from "./constants.ts";
import { type DeleteOptions, linkIndex, type LinkRef } from "./link.ts";
import { formatAddress, type IpPrefix, parsePrefix } from "./prefix.ts";
import type { NetlinkSocket } from "./socket.ts";
import { AF_INET, AF_INET6 } from "../../../ffi/constants.ts";

export interface AddressInfo {
  /** Interface index. */
  index: number;
  family: 4 | 6;
  /** The local address ("10.66.0.2", "fd66::2"). */
  address: string;
  prefixLength: number;
  /** `address/prefixLength`. */
  cidr: string;
  /** IFA_F_* flags (IFA_F_NODAD = 0x02, IFA_F_TENTATIVE = 0x40, IFA_F_PERMANENT = 0x80...). */
  flags: number;
  /** RT_SCOPE_*: 0 global, 253 link, 254 host. */
  scope: number;
  /** IPv4 label (usually the interface name). */
  label?: string;
}

export interface AddAddressOptions {
  /** Succeed if the address is already there, updating its flags (NLM_F_REPLACE). @default false */
  replace?: boolean;
  /** IPv6 only: skip duplicate address detection. @default true */
  noDad?: boolean;
}

function addressMessage(type: number, flags: number, index: number, p: IpPrefix, ifaFlags = 0) {
  return new MessageBuilder(type, flags)
    .header(IFADDRMSG_SIZE, (v) => {
      // struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }
      v.setUint8(0, p.family === 4 ? AF_INET : AF_INET6);
      v.setUint8(1, p.length);
      v.setUint8(2, ifaFlags & 0xff);
      v.setUint32(4, index, true);
    })
    .bytes(IFA_LOCAL, p.address)
    .bytes(IFA_ADDRESS, p.address);
}

/**
 * Add `cidr` ("10.66.0.2/24", "fd66::2/64") to a link. Throws SyscallError EEXIST when it is
 * already there (unless `replace`), ENODEV when the link is missing.
 */
export function addAddress(
  nl: NetlinkSocket,
  link: LinkRef,
  cidr: string,
  options: AddAddressOptions = {},
): void {
  const p = parsePrefix(cidr);
  const index = linkIndex(nl, link);
  const ifaFlags = p.family === 6 && (options.noDad ?? true) ? IFA_F_NODAD : 0;
  const flags = NLM_F_CREATE | (options.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  const msg = addressMessage(RTM_NEWADDR, flags, index, p, ifaFlags).u32(IFA_FLAGS, ifaFlags);
  nl.request(msg, `${cidr} dev ${link}`);
}

/**
 * Remove `cidr` from a link. With `missingOk`, an address (or link) already gone is fine;
 * otherwise that is SyscallError EADDRNOTAVAIL (or ENODEV).
 */
export function deleteAddress(
  nl: NetlinkSocket,
  link: LinkRef,
  cidr: string,
  options: DeleteOptions = {},
): void {
  const p = parsePrefix(cidr);
  try {
    const index = linkIndex(nl, link);
    nl.request(addressMessage(RTM_DELADDR, 0, index, p), `${cidr} dev ${link}`);
  } catch (err) {
    if (options.missingOk && isErrno(err, "EADDRNOTAVAIL", "ENODEV")) return;
    throw err;
  }
}

/** Decode an RTM_NEWADDR message. */
export function parseAddressMessage(m: NetlinkMessage): AddressInfo {
  const v = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  const family = v.getUint8(0) === AF_INET ? 4 : 6;
  const prefixLength = v.getUint8(1);
  const attrs = parseAttributes(m.body, IFADDRMSG_SIZE);
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const raw = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS) ??
    new Uint8Array(family === 4 ? 4 : 16);
  const address = formatAddress(raw);
  const wideFlags = attrs.get(IFA_FLAGS);
  const label = attrs.get(IFA_LABEL);
  return {
    index: v.getUint32(4, true),
    family,
    address,
    prefixLength,
    cidr: `${address}/${prefixLength}`,
    flags: wideFlags === undefined ? v.getUint8(2) : readU32(wideFlags),
    scope: v.getUint8(3),
    ...(label === undefined ? {} : { label: readString(label) }),
  };
}

/** Addresses in this namespace, optionally of one link and/or one family. */
export function listAddresses(
  nl: NetlinkSocket,
  filter: { link?: LinkRef; family?: 4 | 6 } = {},
): AddressInfo[] {
  const index = filter.link === undefined ? undefined : linkIndex(nl, filter.link);
  const msg = new MessageBuilder(RTM_GETADDR, 0).header(IFADDRMSG_SIZE, (v) => {
    if (filter.family !== undefined) v.setUint8(0, filter.family === 4 ? AF_INET : AF_INET6);
  });
  return nl.dump(msg, "addresses")
    .filter((m) => m.type === RTM_NEWADDR)
    .map(parseAddressMessage)
    .filter((a) => index === undefined || a.index === index)
    .filter((a) => filter.family === undefined || a.family === filter.family);
}
