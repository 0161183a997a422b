/**
 * A blocking TCP client made through libc, for what Deno's own TCP cannot do: bind to a network
 * device (SO_BINDTODEVICE), to a source address chosen before connecting, and carry a firewall
 * mark (SO_MARK) so policy routing keeps it on one link. `bond speedtest LINK` measures a
 * single WAN this way.
 *
 * Every call is bounded: connect waits in slices of `sliceMs` (SO_SNDTIMEO) until its own
 * deadline, and send/recv give up after `sliceMs` (SO_SNDTIMEO/SO_RCVTIMEO), returning what
 * they moved. The caller loops, checks its own deadline and draws progress in between, so the
 * thread it runs on is never stuck for longer than one slice.
 */
import {
  AF_INET,
  AF_INET6,
  IPPROTO_TCP,
  MSG_NOSIGNAL,
  SHUT_WR,
  SO_BINDTODEVICE,
  SO_MARK,
  SO_RCVTIMEO,
  SO_SNDTIMEO,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./constants.ts";
import {
  check,
  type ErrnoHints,
  errnoName,
  errnoNumber,
  lastErrno,
  SyscallError,
} from "./errno.ts";
import { cString, libc, usize } from "./libc.ts";
import { encodeSockaddr, SOCKADDR_MAX_SIZE } from "./structs.ts";
import { Endpoint } from "../src/protocol/endpoint.ts";
import { parseIpAddress } from "../src/net/ip_address.ts";

/** Advice appended to errors, by errno name: what the user can do about it. */
export const TCP_HINTS: ErrnoHints = {
  EPERM: "needs CAP_NET_ADMIN (run as root)",
  ENODEV: "no such network device",
  EADDRNOTAVAIL: "the source address is not assigned to any interface here",
  EADDRINUSE: "another socket holds this source address and port",
  ENETUNREACH: "no route to the destination through this device/source",
  EHOSTUNREACH: "the destination host is unreachable through this device/source",
  ECONNREFUSED: "nothing listens on that port (or a firewall rejects it)",
  ECONNRESET: "the peer reset the connection",
  ETIMEDOUT: "no answer in time: the link may be down or a firewall drops the packets",
  EPIPE: "the peer closed the connection",
};

/** Default slice: no send, recv or connect step blocks longer than this. */
export const DEFAULT_SLICE_MS = 250;

/** @see TcpClient.connect */
export interface TcpConnectOptions {
  /** Destination IP address (a literal; resolve names first). */
  host: string;
  port: number;
  /** SO_BINDTODEVICE: the connection leaves and arrives only through this device. */
  device?: string;
  /** Source address to bind before connecting (same family as `host`). */
  source?: string;
  /** SO_MARK (fwmark) for policy routing; needs CAP_NET_ADMIN. */
  mark?: number;
  /** How long connect may take in all. @default 5000 */
  timeoutMs?: number;
  /** Longest single blocking call. @default DEFAULT_SLICE_MS */
  sliceMs?: number;
}

export class TcpClient {
  readonly fd: number;
  /** "203.0.113.10:65002", for messages. */
  readonly remote: string;
  #closed = false;
  readonly #send;
  readonly #recv;

  private constructor(fd: number, remote: string) {
    this.fd = fd;
    this.remote = remote;
    const { send, recv } = libc();
    this.#send = send;
    this.#recv = recv;
  }

  /**
   * Socket, options, source bind, connect. Throws SyscallError naming the step (ENODEV for an
   * unknown device, ENETUNREACH, ECONNREFUSED, ETIMEDOUT when `timeoutMs` passes); the fd is
   * closed on any failure.
   */
  static connect(o: TcpConnectOptions): TcpClient {
    const dst = endpointOf(o.host, o.port);
    const remote = dst.family === 4 ? `${o.host}:${o.port}` : `[${o.host}]:${o.port}`;
    const fd = check(
      libc().socket(dst.family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP),
      "socket",
      `AF_INET${dst.family === 6 ? "6" : ""}, SOCK_STREAM`,
    );
    const client = new TcpClient(fd, remote);
    try {
      const slice = o.sliceMs ?? DEFAULT_SLICE_MS;
      client.#setTimeout(SO_SNDTIMEO, slice, "SO_SNDTIMEO");
      client.#setTimeout(SO_RCVTIMEO, slice, "SO_RCVTIMEO");
      if (o.device !== undefined) {
        const name = cString(o.device);
        check(
          libc().setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length),
          "setsockopt",
          `SO_BINDTODEVICE, ${JSON.stringify(o.device)}`,
          TCP_HINTS,
        );
      }
      if (o.mark !== undefined) {
        check(
          libc().setsockopt(fd, SOL_SOCKET, SO_MARK, new Int32Array([o.mark]), 4),
          "setsockopt",
          `SO_MARK, 0x${o.mark.toString(16)}`,
          TCP_HINTS,
        );
      }
      if (o.source !== undefined) client.#bindSource(o.source, dst.family);
      client.#connect(dst, o.timeoutMs ?? 5000);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  #setTimeout(option: number, ms: number, label: string): void {
    // struct timeval { time_t tv_sec; suseconds_t tv_usec; }: two 64-bit fields on both targets.
    const tv = new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1000)]);
    check(
      libc().setsockopt(this.fd, SOL_SOCKET, option, tv, 16),
      "setsockopt",
      `${label}, ${ms} ms`,
    );
  }

  #bindSource(source: string, family: 4 | 6): void {
    const ep = endpointOf(source, 0);
    if (ep.family !== family) {
      throw new RangeError(
        `source ${source} is IPv${ep.family} but the destination is IPv${family}`,
      );
    }
    const name = new Uint8Array(SOCKADDR_MAX_SIZE);
    const len = encodeSockaddr(ep, new DataView(name.buffer), 0);
    check(libc().bind(this.fd, name, len), "bind", source, TCP_HINTS);
  }

  /**
   * A blocking connect returns EINPROGRESS when SO_SNDTIMEO passes with the handshake still
   * under way; calling connect again waits another slice (EALREADY while still waiting) and
   * returns 0 once established, or the connection's error (ECONNREFUSED, ...) once it failed.
   */
  #connect(dst: Endpoint, timeoutMs: number): void {
    const name = new Uint8Array(SOCKADDR_MAX_SIZE);
    const len = encodeSockaddr(dst, new DataView(name.buffer), 0);
    const deadline = performance.now() + timeoutMs;
    const { connect } = libc();
    for (;;) {
      if (connect(this.fd, name, len) === 0) return;
      const errno = lastErrno();
      const code = errnoName(errno);
      // EISCONN: the previous call's wait ended in success after it had returned.
      if (code === "EISCONN") return;
      if (code !== "EINPROGRESS" && code !== "EALREADY" && code !== "EINTR") {
        throw new SyscallError(errno, "connect", this.remote, TCP_HINTS[code]);
      }
      if (performance.now() >= deadline) {
        throw new SyscallError(
          errnoNumber("ETIMEDOUT"),
          "connect",
          `${this.remote}, ${timeoutMs} ms`,
          TCP_HINTS.ETIMEDOUT,
        );
      }
    }
  }

  /**
   * Sends from `buf` (its first `length` bytes); returns how many went out, 0 when the send
   * buffer stayed full for a whole slice. Throws SyscallError when the connection failed.
   */
  send(buf: Uint8Array, length = buf.length): number {
    const n = this.#send(this.fd, buf, usize(length), MSG_NOSIGNAL);
    if (n >= 0) return n;
    const errno = lastErrno();
    const code = errnoName(errno);
    if (code === "EAGAIN" || code === "EINTR") return 0;
    throw new SyscallError(errno, "send", this.remote, TCP_HINTS[code]);
  }

  /**
   * Receives into `buf`: the byte count, 0 at end of stream, or null when nothing arrived
   * within a slice. Throws SyscallError when the connection failed.
   */
  recv(buf: Uint8Array): number | null {
    const n = this.#recv(this.fd, buf, usize(buf.length), 0);
    if (n >= 0) return n;
    const errno = lastErrno();
    const code = errnoName(errno);
    if (code === "EAGAIN" || code === "EINTR") return null;
    throw new SyscallError(errno, "recv", this.remote, TCP_HINTS[code]);
  }

  /** shutdown(SHUT_WR): the peer reads end-of-file; receiving still works. */
  shutdownWrite(): void {
    check(libc().shutdown(this.fd, SHUT_WR), "shutdown", `${this.remote}, SHUT_WR`, TCP_HINTS);
  }

  /** Close the fd. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.fd);
  }
}

function endpointOf(address: string, port: number): Endpoint {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`tcp port must be 0-65535: ${port}`);
  }
  const ip = parseIpAddress(address);
  const ep = new Endpoint();
  ep.family = ip.family;
  ep.ip.set(ip.address);
  ep.port = port;
  return ep;
}
