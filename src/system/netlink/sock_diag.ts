/**
 * TCP sockets through NETLINK_SOCK_DIAG (linux/inet_diag.h): list them (as `ss -t` does) and
 * destroy one (as `ss -K` does; the kernel needs CONFIG_INET_DIAG_DESTROY, and the caller
 * CAP_NET_ADMIN). Destroying aborts the socket at once, whatever its state, TIME_WAIT included.
 *
 * The TCP split needs it twice (src/roles/tcp_split.ts): the kernel's path manager listens on
 * each announced subflow port without SO_REUSEADDR, so a port still held by a closing subflow
 * of an earlier run (FIN_WAIT, CLOSING, TIME_WAIT: up to minutes, since the tunnel it waited on
 * is gone) cannot be announced again until that socket is gone; and the subflows riding a path
 * that died are closed (src/mptcp/subflow_failover.ts).
 */
import { AF_INET, AF_INET6, IPPROTO_TCP } from "../../../ffi/constants.ts";
import { isErrno } from "../../../ffi/errno.ts";
import { MessageBuilder, parseAttributes, readU32 } from "./attributes.ts";
import { NetlinkSocket } from "./socket.ts";
import { sameAddress } from "../../net/ip_address.ts";

export const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const SOCK_DESTROY = 21;
/** struct inet_diag_req_v2: family, protocol, ext, pad, states, then the socket id. */
const REQ_SIZE = 56;
/** struct inet_diag_sockid: sport, dport (big-endian), src[16], dst[16], if, cookie[2]. */
const SOCKID_SIZE = 48;
/** struct inet_diag_msg: family, state, timer, retrans, sockid, then five u32. */
const MSG_SIZE = 72;
/**
 * idiag_ext bit of INET_DIAG_INFO: asks for tcp_info, which brings the ULP info (MPTCP's) with
 * it.
 */
const EXT_INFO = 1 << (2 - 1);
/** INET_DIAG_ULP_INFO, nesting INET_ULP_INFO_MPTCP, nesting MPTCP_SUBFLOW_ATTR_TOKEN_LOC. */
const INET_DIAG_ULP_INFO = 19;
const INET_ULP_INFO_MPTCP = 3;
const MPTCP_SUBFLOW_ATTR_TOKEN_LOC = 2;

/** TCP states (include/net/tcp_states.h). */
export const TCP_STATE = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;

/** A socket that is on its way out: it closed, or its peer did and it is finishing. */
export const CLOSING_STATES = [
  TCP_STATE.FIN_WAIT1,
  TCP_STATE.FIN_WAIT2,
  TCP_STATE.TIME_WAIT,
  TCP_STATE.CLOSE,
  TCP_STATE.CLOSE_WAIT,
  TCP_STATE.LAST_ACK,
  TCP_STATE.CLOSING,
] as const;

/** Every state but LISTEN, as an idiag_states mask. */
const ALL_BUT_LISTEN = 0xfff & ~(1 << TCP_STATE.LISTEN);

export interface TcpSocketEntry {
  family: 4 | 6;
  state: number;
  /** Addresses as the kernel gives them: 4 or 16 bytes. */
  local: Uint8Array;
  localPort: number;
  remote: Uint8Array;
  remotePort: number;
  /** The socket id exactly as dumped (ports, addresses, interface, cookie): what destroy names. */
  id: Uint8Array;
  /**
   * An MPTCP subflow's connection: the local token of the MPTCP socket it belongs to (the
   * kernel reports it to CAP_NET_ADMIN); undefined for plain TCP.
   */
  mptcpToken?: number;
}

/** A SOCK_DIAG_BY_FAMILY (dump) or SOCK_DESTROY request for TCP of `family`. */
export function diagRequest(
  type: "dump" | "destroy",
  family: 4 | 6,
  states: number,
  id: Uint8Array = new Uint8Array(SOCKID_SIZE),
  ext = 0,
): MessageBuilder {
  if (id.length !== SOCKID_SIZE) throw new RangeError(`socket id of ${id.length} bytes`);
  const msg = new MessageBuilder(type === "dump" ? SOCK_DIAG_BY_FAMILY : SOCK_DESTROY, 0);
  return msg.header(REQ_SIZE, (v) => {
    v.setUint8(0, family === 4 ? AF_INET : AF_INET6);
    v.setUint8(1, IPPROTO_TCP);
    v.setUint8(2, ext);
    v.setUint32(4, states >>> 0, true);
    new Uint8Array(v.buffer, v.byteOffset + 8, SOCKID_SIZE).set(id);
  });
}

/** One inet_diag_msg of a dump; null when it is too short to be one. */
export function parseDiagMessage(body: Uint8Array): TcpSocketEntry | null {
  if (body.length < MSG_SIZE) return null;
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const family = v.getUint8(0) === AF_INET6 ? 6 : 4;
  const size = family === 4 ? 4 : 16;
  const entry: TcpSocketEntry = {
    family,
    state: v.getUint8(1),
    localPort: v.getUint16(4),
    remotePort: v.getUint16(6),
    local: body.slice(8, 8 + size),
    remote: body.slice(24, 24 + size),
    id: body.slice(4, 4 + SOCKID_SIZE),
  };
  const ulp = parseAttributes(body, MSG_SIZE).get(INET_DIAG_ULP_INFO);
  const mptcp = ulp && parseAttributes(ulp).get(INET_ULP_INFO_MPTCP);
  const token = mptcp && parseAttributes(mptcp).get(MPTCP_SUBFLOW_ATTR_TOKEN_LOC);
  if (token !== undefined && token.length >= 4) entry.mptcpToken = readU32(token);
  return entry;
}

/** The host's TCP sockets of `family`, listeners left out. */
export function listTcpSockets(nl: NetlinkSocket, family: 4 | 6): TcpSocketEntry[] {
  const messages = nl.dump(
    diagRequest("dump", family, ALL_BUT_LISTEN, undefined, EXT_INFO),
    `TCP sockets, IPv${family}`,
  );
  const out: TcpSocketEntry[] = [];
  for (const m of messages) {
    const s = parseDiagMessage(m.body);
    if (s !== null) out.push(s);
  }
  return out;
}

/** Aborts `socket` (no error if it is already gone: ENOENT is passed on to the caller). */
export function destroyTcpSocket(nl: NetlinkSocket, socket: TcpSocketEntry): void {
  nl.request(
    diagRequest("destroy", socket.family, 0xfff, socket.id),
    `TCP socket port ${socket.localPort} to port ${socket.remotePort}`,
  );
}

/**
 * Destroys the ones `choose` picks of the host's TCP sockets of `family` (listeners are never
 * listed); returns how many went. Opens its own NETLINK_SOCK_DIAG socket. Throws SyscallError
 * (EOPNOTSUPP: a kernel without CONFIG_INET_DIAG_DESTROY; EPERM: without CAP_NET_ADMIN).
 */
export function destroyTcpSockets(
  family: 4 | 6,
  choose: (sockets: TcpSocketEntry[]) => TcpSocketEntry[],
): number {
  const nl = NetlinkSocket.open({ protocol: NETLINK_SOCK_DIAG });
  try {
    let destroyed = 0;
    for (const s of choose(listTcpSockets(nl, family))) {
      try {
        destroyTcpSocket(nl, s);
        destroyed++;
      } catch (err) {
        // Gone meanwhile (it finished closing on its own): what we wanted.
        if (!isErrno(err, "ENOENT")) throw err;
      }
    }
    return destroyed;
  } finally {
    nl.close();
  }
}

/**
 * Destroys the TCP sockets bound to `address` (4 or 16 bytes) and `port` that are closing
 * (CLOSING_STATES); established ones are left alone. Returns how many went.
 */
export function destroyClosingTcpSockets(address: Uint8Array, port: number): number {
  return destroyTcpSockets(
    address.length === 4 ? 4 : 6,
    (sockets) =>
      sockets.filter((s) =>
        s.localPort === port && sameAddress(s.local, address) &&
        (CLOSING_STATES as readonly number[]).includes(s.state)
      ),
  );
}
