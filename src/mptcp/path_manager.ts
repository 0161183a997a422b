/**
 * The kernel's Multipath TCP path manager (generic netlink family "mptcp_pm", linux/mptcp.h):
 * its endpoints (addresses, with a port, the kernel announces or uses for extra subflows) and
 * its limits (subflows per connection, addresses accepted from the peer). Both are per network
 * namespace, like `ip mptcp endpoint` and `ip mptcp limits`, which speak the same messages.
 */
import { parseIpAddress } from "../net/ip_address.ts";
import { formatIPv4, formatIPv6 } from "../net/ip_address.ts";
import { parseAttributes, readU32 } from "../system/netlink/attributes.ts";
import { NLA_F_NESTED } from "../system/netlink/constants.ts";
import {
  genericRequest,
  GENL_HDRLEN,
  NETLINK_GENERIC,
  resolveFamily,
} from "../system/netlink/genetlink.ts";
import { NetlinkSocket } from "../system/netlink/socket.ts";

const FAMILY_NAME = "mptcp_pm";
const VERSION = 1;

const CMD_ADD_ADDR = 1;
const CMD_DEL_ADDR = 2;
const CMD_GET_ADDR = 3;
const CMD_SET_LIMITS = 5;
const CMD_GET_LIMITS = 6;

const ATTR_ADDR = 1;
const ATTR_RCV_ADD_ADDRS = 2;
const ATTR_SUBFLOWS = 3;

const ADDR_FAMILY = 1;
const ADDR_ID = 2;
const ADDR_ADDR4 = 3;
const ADDR_ADDR6 = 4;
const ADDR_PORT = 5;
const ADDR_FLAGS = 6;
const ADDR_IF_IDX = 7;

const AF_INET = 2;
const AF_INET6 = 10;

/** The kernel announces the endpoint to the peer (ADD_ADDR). */
export const ENDPOINT_SIGNAL = 1 << 0;
/** The kernel opens a subflow from the endpoint. */
export const ENDPOINT_SUBFLOW = 1 << 1;

/** The kernel caps both limits at 8 (MPTCP_PM_ADDR_MAX). */
export const MPTCP_LIMIT_MAX = 8;

export interface MptcpLimits {
  /** Extra subflows per connection. */
  subflows: number;
  /** Addresses announced by the peer that are used. */
  addAddrAccepted: number;
}

export interface MptcpEndpoint {
  id: number;
  address: string;
  /** 0: none. */
  port: number;
  flags: number;
  /** 0: any. */
  ifIndex: number;
}

export class MptcpPathManager {
  readonly #socket: NetlinkSocket;
  readonly #family: number;

  private constructor(socket: NetlinkSocket, family: number) {
    this.#socket = socket;
    this.#family = family;
  }

  /** Throws when the kernel has no Multipath TCP (no "mptcp_pm" family: ENOENT). */
  static open(): MptcpPathManager {
    const socket = NetlinkSocket.open({ protocol: NETLINK_GENERIC });
    try {
      return new MptcpPathManager(socket, resolveFamily(socket, FAMILY_NAME));
    } catch (err) {
      socket.close();
      throw err;
    }
  }

  limits(): MptcpLimits {
    for (const m of this.#socket.request(this.#request(CMD_GET_LIMITS), "mptcp limits")) {
      const a = parseAttributes(m.body, GENL_HDRLEN);
      const subflows = a.get(ATTR_SUBFLOWS), accepted = a.get(ATTR_RCV_ADD_ADDRS);
      if (subflows !== undefined && accepted !== undefined) {
        return { subflows: readU32(subflows), addAddrAccepted: readU32(accepted) };
      }
    }
    throw new Error("mptcp limits: the kernel's answer carries no limits");
  }

  setLimits(limits: MptcpLimits): void {
    for (const [name, v] of Object.entries(limits)) {
      if (!Number.isInteger(v) || v < 0 || v > MPTCP_LIMIT_MAX) {
        throw new RangeError(
          `mptcp limit ${name} must be an integer in 0..${MPTCP_LIMIT_MAX}: ${v}`,
        );
      }
    }
    this.#socket.request(
      this.#request(CMD_SET_LIMITS)
        .u32(ATTR_RCV_ADD_ADDRS, limits.addAddrAccepted)
        .u32(ATTR_SUBFLOWS, limits.subflows),
      `mptcp limits subflows ${limits.subflows} add_addr_accepted ${limits.addAddrAccepted}`,
    );
  }

  endpoints(): MptcpEndpoint[] {
    const out: MptcpEndpoint[] = [];
    for (const m of this.#socket.dump(this.#request(CMD_GET_ADDR), "mptcp endpoints")) {
      const nested = parseAttributes(m.body, GENL_HDRLEN).get(ATTR_ADDR);
      if (nested !== undefined) out.push(decodeEndpoint(nested));
    }
    return out;
  }

  /** Adds an endpoint; `id` 0 lets the kernel pick one. Returns nothing: list to learn the id. */
  addEndpoint(e: { address: string; port?: number; flags: number; id?: number }): void {
    const ip = parseIpAddress(e.address);
    const port = e.port ?? 0;
    this.#socket.request(
      this.#request(CMD_ADD_ADDR).nest(ATTR_ADDR | NLA_F_NESTED, (m) => {
        m.bytes(ADDR_FAMILY, u16(ip.family === 4 ? AF_INET : AF_INET6));
        if (e.id) m.u8(ADDR_ID, e.id);
        m.bytes(ip.family === 4 ? ADDR_ADDR4 : ADDR_ADDR6, ip.address);
        if (port !== 0) m.bytes(ADDR_PORT, u16(port));
        m.u32(ADDR_FLAGS, e.flags);
      }),
      `mptcp endpoint ${ip.text} port ${port}`,
    );
  }

  deleteEndpoint(id: number): void {
    this.#socket.request(
      this.#request(CMD_DEL_ADDR).nest(ATTR_ADDR | NLA_F_NESTED, (m) => {
        m.u8(ADDR_ID, id);
      }),
      `mptcp endpoint id ${id}`,
    );
  }

  close(): void {
    this.#socket.close();
  }

  #request(command: number) {
    return genericRequest(this.#family, command, VERSION);
  }
}

function u16(value: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, value, true);
  return b;
}

function decodeEndpoint(nested: Uint8Array): MptcpEndpoint {
  const a = parseAttributes(nested);
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const v4 = a.get(ADDR_ADDR4), v6 = a.get(ADDR_ADDR6);
  const id = a.get(ADDR_ID), port = a.get(ADDR_PORT), flags = a.get(ADDR_FLAGS);
  const ifIndex = a.get(ADDR_IF_IDX);
  return {
    id: id === undefined ? 0 : id[0],
    address: v4 !== undefined ? formatIPv4(v4) : v6 !== undefined ? formatIPv6(v6) : "",
    port: port === undefined ? 0 : view(port).getUint16(0, true),
    flags: flags === undefined ? 0 : readU32(flags),
    ifIndex: ifIndex === undefined ? 0 : view(ifIndex).getInt32(0, true),
  };
}
