/**
 * A NETLINK_ROUTE socket: sends one request at a time and reads until its answer is complete
 * (the ACK for a change, NLMSG_DONE for a dump). Kernel refusals become SyscallError with the
 * netlink errno, the request named, and the kernel's own reason when it gives one.
 *
 * Calls block the calling thread for the kernel's answer (microseconds); a receive timeout
 * turns a lost answer into an error instead of a hang.
 */
import {
  AF_NETLINK,
  MSG_TRUNC,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
} from "../../../ffi/constants.ts";
import { check, EAGAIN, EINTR, lastErrno, SyscallError } from "../../../ffi/errno.ts";
import { libc, usize } from "../../../ffi/libc.ts";
import {
  type MessageBuilder,
  type NetlinkMessage,
  parseAttributes,
  parseMessages,
  readString,
} from "./attributes.ts";
import {
  MESSAGE_NAMES,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLMSGERR_ATTR_MSG,
  SOL_NETLINK,
} from "./constants.ts";

/** struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups; } */
const SOCKADDR_NL_SIZE = 12;
/** The kernel sends dump chunks of at most 32 KiB; twice that leaves room. */
const RECV_BUFFER = 65536;
/** Re-runs of a dump the kernel flagged as interrupted (the table changed meanwhile). */
const DUMP_ATTEMPTS = 3;
/** Datagrams read for one request before giving up (a dump of ~100k routes fits). */
const MAX_DATAGRAMS = 10000;

/** @see NetlinkSocket.open */
export interface NetlinkOptions {
  /** Seconds to wait for the kernel's answer before failing with EAGAIN. @default 5 */
  timeoutSeconds?: number;
  /** NETLINK_ROUTE or NETLINK_GENERIC (genetlink.ts). @default NETLINK_ROUTE */
  protocol?: number;
}

export class NetlinkSocket {
  readonly fd: number;
  /** The port id the kernel assigned to this socket. */
  readonly portId: number;
  #seq: number;
  #closed = false;
  readonly #recv = new Uint8Array(RECV_BUFFER);
  #names: Readonly<Record<number, string>> = MESSAGE_NAMES;

  private constructor(fd: number, portId: number) {
    this.fd = fd;
    this.portId = portId;
    // Start from a time-derived number so a restarted daemon's replies cannot be confused
    // with answers meant for a previous socket.
    this.#seq = (Date.now() & 0x3fffffff) + 1;
  }

  /** Open and bind a NETLINK_ROUTE socket (or another netlink protocol). */
  static open(options: NetlinkOptions = {}): NetlinkSocket {
    const c = libc();
    const protocol = options.protocol ?? NETLINK_ROUTE;
    const fd = check(
      c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol),
      "socket",
      `AF_NETLINK, protocol ${protocol}`,
    );
    try {
      const one = new Int32Array([1]);
      // Both are refinements: older kernels lack them and still answer correctly.
      c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
      c.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
      check(
        c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, new Int32Array([1 << 20]), 4),
        "setsockopt",
        "netlink SO_RCVBUF",
      );
      const seconds = options.timeoutSeconds ?? 5;
      if (!(seconds > 0)) throw new RangeError(`netlink timeoutSeconds must be > 0: ${seconds}`);
      const tv = new BigInt64Array([
        BigInt(Math.floor(seconds)),
        BigInt(Math.round((seconds % 1) * 1e6)),
      ]);
      check(c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16), "setsockopt", "netlink SO_RCVTIMEO");
      const addr = new Uint8Array(SOCKADDR_NL_SIZE);
      new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
      check(c.bind(fd, addr, SOCKADDR_NL_SIZE), "bind", "AF_NETLINK");
      const len = new Uint32Array([SOCKADDR_NL_SIZE]);
      check(c.getsockname(fd, addr, len), "getsockname", "AF_NETLINK");
      const socket = new NetlinkSocket(fd, new DataView(addr.buffer).getUint32(4, true));
      // Generic netlink's message types are family ids handed out at boot: no names for them.
      if (protocol !== NETLINK_ROUTE) socket.#names = {};
      return socket;
    } catch (err) {
      c.close(fd);
      throw err;
    }
  }

  /**
   * Send a change or a single query with NLM_F_REQUEST|NLM_F_ACK (plus `msg.flags`) and wait
   * for the ACK. Returns the messages that came before it (e.g. RTM_GETROUTE's answer).
   * Throws SyscallError(errno, "RTM_NEWADDR", context) when the kernel refuses.
   */
  request(msg: MessageBuilder, context: string): NetlinkMessage[] {
    const seq = this.#send(msg, NLM_F_REQUEST | NLM_F_ACK, context);
    return this.#collect(seq, msg.type, context, false).messages;
  }

  /** Send a dump request (NLM_F_DUMP) and return every message of the answer. */
  dump(msg: MessageBuilder, context: string): NetlinkMessage[] {
    for (let attempt = 1;; attempt++) {
      const seq = this.#send(msg, NLM_F_REQUEST | NLM_F_DUMP, context);
      const { messages, interrupted } = this.#collect(seq, msg.type, context, true);
      if (!interrupted) return messages;
      if (attempt >= DUMP_ATTEMPTS) {
        throw new Error(
          `${
            nameIn(this.#names, msg.type)
          }(${context}): dump interrupted ${attempt} times by concurrent changes`,
        );
      }
    }
  }

  #send(msg: MessageBuilder, extraFlags: number, context: string): number {
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    const finished = msg.finish(seq, extraFlags);
    const addr = new Uint8Array(SOCKADDR_NL_SIZE);
    new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
    const n = libc().sendto(this.fd, finished, usize(finished.length), 0, addr, SOCKADDR_NL_SIZE);
    check(n, "sendto", `netlink ${nameIn(this.#names, msg.type)}(${context})`);
    return seq;
  }

  #collect(
    seq: number,
    type: number,
    context: string,
    dump: boolean,
  ): { messages: NetlinkMessage[]; interrupted: boolean } {
    const messages: NetlinkMessage[] = [];
    let interrupted = false;
    for (let datagrams = 0; datagrams < MAX_DATAGRAMS; datagrams++) {
      for (const m of parseMessages(this.#receive(type, context))) {
        if (m.seq !== seq) continue; // a late answer to an earlier, timed-out request
        if ((m.flags & NLM_F_DUMP_INTR) !== 0) interrupted = true;
        if (m.type === NLMSG_ERROR) {
          const errno = -new DataView(m.body.buffer, m.body.byteOffset).getInt32(0, true);
          if (errno === 0) return { messages, interrupted };
          throw new SyscallError(errno, nameIn(this.#names, type), context, extAckReason(m));
        }
        if (m.type === NLMSG_DONE) {
          const errno = m.body.length >= 4
            ? -new DataView(m.body.buffer, m.body.byteOffset).getInt32(0, true)
            : 0;
          if (errno > 0) throw new SyscallError(errno, nameIn(this.#names, type), context);
          if (dump) return { messages, interrupted };
          continue;
        }
        if (m.type === NLMSG_NOOP) continue;
        if (m.type === NLMSG_OVERRUN) {
          throw new Error(`${nameIn(this.#names, type)}(${context}): netlink overrun, answer lost`);
        }
        messages.push(m);
      }
    }
    throw new Error(
      `${nameIn(this.#names, type)}(${context}): answer exceeded ${MAX_DATAGRAMS} datagrams`,
    );
  }

  #receive(type: number, context: string): Uint8Array {
    const c = libc();
    for (let tries = 0; tries < 100; tries++) {
      const n = c.recvfrom(this.fd, this.#recv, usize(RECV_BUFFER), MSG_TRUNC, null, null);
      if (n >= 0) {
        if (n > RECV_BUFFER) {
          throw new Error(
            `${nameIn(this.#names, type)}(${context}): netlink datagram of ${n} bytes truncated`,
          );
        }
        return this.#recv.subarray(0, n);
      }
      const errno = lastErrno();
      if (errno === EINTR) continue;
      throw new SyscallError(
        errno,
        "recvfrom",
        `netlink ${nameIn(this.#names, type)}(${context})`,
        errno === EAGAIN ? "no answer from the kernel in time" : undefined,
      );
    }
    throw new Error(`${nameIn(this.#names, type)}(${context}): recvfrom interrupted 100 times`);
  }

  /** Close the socket. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.fd);
  }
}

function nameIn(names: Readonly<Record<number, string>>, type: number): string {
  return names[type] ?? `netlink type ${type}`;
}

/** The kernel's text reason from an extended ACK ("kernel: Invalid prefix for given prefix length"). */
function extAckReason(m: NetlinkMessage): string | undefined {
  if ((m.flags & NLM_F_ACK_TLVS) === 0) return undefined;
  // Body: int error, then the request's header (capped) or the whole request, then TLVs.
  const view = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  const echoed = (m.flags & NLM_F_CAPPED) !== 0 ? NLMSG_HDRLEN : view.getUint32(4, true);
  const attrs = parseAttributes(m.body, 4 + ((echoed + 3) & ~3));
  const text = attrs.get(NLMSGERR_ATTR_MSG);
  return text === undefined ? undefined : `kernel: ${readString(text)}`;
}
