/**
 * Stream sockets for the TCP split (src/mptcp/), made through libc for what Deno's own TCP
 * cannot do: IPPROTO_MPTCP, a listener bound to a device, and the destination a connection had
 * before the firewall redirected it to us (SO_ORIGINAL_DST).
 *
 * Nothing here blocks the calling thread. Waiting (for a connection to accept, for a connect to
 * finish) is a poll(2) on Deno's thread pool for blocking calls; the syscalls whose errno matters
 * run non-blocking on the caller's thread, where errno can be read. The fds end up in node:net
 * (`new net.Socket({ fd })`), which drives them on Deno's event loop.
 */
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_MPTCP,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  POLLIN,
  POLLOUT,
  SO_BINDTODEVICE,
  SO_ERROR,
  SO_ORIGINAL_DST,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./constants.ts";
import {
  check,
  EAGAIN,
  EINTR,
  type ErrnoHints,
  errnoName,
  errnoNumber,
  lastErrno,
  SyscallError,
} from "./errno.ts";
import { EventFd } from "./eventfd.ts";
import { TCP_HINTS } from "./tcp.ts";
import { cString, libc } from "./libc.ts";
import { allocStable, decodeSockaddr, encodeSockaddr, SOCKADDR_MAX_SIZE } from "./structs.ts";
import { Endpoint } from "../src/protocol/endpoint.ts";
import { parseIpAddress } from "../src/net/ip_address.ts";

export type StreamProtocol = "tcp" | "mptcp";

/**
 * TcpClient's advice, reworded where it speaks of a source or device these sockets do not have,
 * and Multipath TCP's own.
 */
const HINTS: ErrnoHints = {
  ...TCP_HINTS,
  EADDRNOTAVAIL: "the address is not assigned to any interface here",
  EADDRINUSE: "another socket holds this address and port",
  EPROTONOSUPPORT: "this kernel has no Multipath TCP (CONFIG_MPTCP)",
  ENOPROTOOPT: "Multipath TCP is switched off (sysctl net.mptcp.enabled=0)",
  ETIMEDOUT: "no answer in time",
  ENETUNREACH: "no route to the destination",
  EHOSTUNREACH: "the destination host is unreachable",
};

/** Errors of accept(2) that concern one connection, not the listener: try the next. */
const ACCEPT_RETRY = new Set(["ECONNABORTED", "EPROTO", "EPERM", "ENETDOWN", "EHOSTUNREACH"]);
/** Errors of accept(2) that pass once resources free up: wait a little, then try again. */
const ACCEPT_BACKOFF = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]);
const BACKOFF_MS = 100;

/** poll(2) run on the thread pool: the only call here that waits. */
let pool: { poll: (fds: Uint8Array, n: bigint, timeout: number) => Promise<number> } | null = null;
function poolPoll(fds: Uint8Array<ArrayBuffer>, n: number, timeoutMs: number): Promise<number> {
  pool ??= Deno.dlopen("libc.so.6", {
    poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  }).symbols;
  return pool.poll(fds, BigInt(n), timeoutMs);
}

function writePollfd(view: DataView, index: number, fd: number, events: number): void {
  view.setInt32(index * 8, fd, true);
  view.setInt16(index * 8 + 4, events, true);
  view.setInt16(index * 8 + 6, 0, true);
}

function protocolNumber(protocol: StreamProtocol): number {
  return protocol === "mptcp" ? IPPROTO_MPTCP : IPPROTO_TCP;
}

function endpointOf(address: string, port: number): Endpoint {
  const ip = parseIpAddress(address);
  return Endpoint.parse(ip.family === 4 ? `${address}:${port}` : `[${address}]:${port}`);
}

function newStreamSocket(family: 4 | 6, protocol: StreamProtocol): number {
  return check(
    libc().socket(
      family === 4 ? AF_INET : AF_INET6,
      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
      protocolNumber(protocol),
    ),
    "socket",
    `AF_INET${family === 6 ? "6" : ""}, SOCK_STREAM, ${protocol}`,
    HINTS,
  );
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  check(libc().setsockopt(fd, level, name, new Int32Array([value]), 4), "setsockopt", what, HINTS);
}

function bindToDevice(fd: number, device: string): void {
  const name = cString(device);
  check(
    libc().setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length),
    "setsockopt",
    `SO_BINDTODEVICE, ${JSON.stringify(device)}`,
    HINTS,
  );
}

/** Whether this kernel makes MPTCP sockets (built in and `net.mptcp.enabled`). */
export function mptcpAvailable(): boolean {
  const fd = libc().socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
  if (fd < 0) return false;
  libc().close(fd);
  return true;
}

export interface ListenOptions {
  /** Address to bind (a literal; `0.0.0.0` or `::` for any). */
  address: string;
  port: number;
  protocol: StreamProtocol;
  /** SO_BINDTODEVICE: only connections arriving through this device. */
  device?: string;
  /** @default 128 */
  backlog?: number;
}

/** An accepted connection: its fd (non-blocking, close-on-exec) and who connected. */
export interface AcceptedStream {
  fd: number;
  remote: Endpoint;
}

export class StreamListener {
  readonly fd: number;
  readonly local: Endpoint;
  readonly #wake: EventFd;
  /** pollfd[2]: the listener, and the eventfd that `close` signals. */
  readonly #pollfds = allocStable(16);
  readonly #addr = allocStable(SOCKADDR_MAX_SIZE);
  readonly #addrLen = new Uint32Array(1);
  #closed = false;
  #waiting = false;

  private constructor(fd: number, local: Endpoint) {
    this.fd = fd;
    this.local = local;
    this.#wake = EventFd.create();
    const view = new DataView(this.#pollfds.buffer);
    writePollfd(view, 0, fd, POLLIN);
    writePollfd(view, 1, this.#wake.fd, POLLIN);
  }

  /** socket, SO_REUSEADDR (IPV6_V6ONLY for IPv6), device, bind, listen. Throws SyscallError. */
  static open(o: ListenOptions): StreamListener {
    const local = endpointOf(o.address, o.port);
    const fd = newStreamSocket(local.family, o.protocol);
    try {
      setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      if (local.family === 6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
      if (o.device !== undefined) bindToDevice(fd, o.device);
      const addr = new Uint8Array(SOCKADDR_MAX_SIZE);
      const len = encodeSockaddr(local, new DataView(addr.buffer), 0);
      check(libc().bind(fd, addr, len), "bind", `${o.protocol} ${local}`, HINTS);
      check(libc().listen(fd, o.backlog ?? 128), "listen", `${o.protocol} ${local}`, HINTS);
      return new StreamListener(fd, local);
    } catch (err) {
      libc().close(fd);
      throw err;
    }
  }

  /**
   * The next connection; null once `close` was called. Throws SyscallError only for a fault of
   * the listener itself; a connection that fails while being accepted is skipped, and running
   * out of file descriptors waits and tries again.
   */
  async accept(): Promise<AcceptedStream | null> {
    const { accept4 } = libc();
    while (!this.#closed) {
      this.#addrLen[0] = SOCKADDR_MAX_SIZE;
      const fd = accept4(this.fd, this.#addr, this.#addrLen, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        const remote = new Endpoint();
        decodeSockaddr(new DataView(this.#addr.buffer), 0, remote);
        return { fd, remote };
      }
      const errno = lastErrno();
      if (errno === EAGAIN) {
        this.#waiting = true;
        await poolPoll(this.#pollfds, 2, -1);
        this.#waiting = false;
        continue;
      }
      if (errno === EINTR) continue;
      const err = new SyscallError(errno, "accept4", `${this.local}`);
      if (ACCEPT_RETRY.has(err.code)) continue;
      if (ACCEPT_BACKOFF.has(err.code)) {
        await new Promise((r) => setTimeout(r, BACKOFF_MS));
        continue;
      }
      throw err;
    }
    this.#release();
    return null;
  }

  /** Stops accepting: a waiting `accept` returns null, and the fds close once it has. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The pool's poll may still hold the fd numbers: close them only once it has returned.
    if (this.#waiting) this.#wake.signal();
    else this.#release();
  }

  #released = false;
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    libc().close(this.fd);
    this.#wake.close();
  }
}

export interface ConnectOptions {
  address: string;
  port: number;
  protocol: StreamProtocol;
  /** @default 10000 */
  timeoutMs?: number;
}

/**
 * A connected stream socket's fd (non-blocking, close-on-exec). Throws SyscallError with the
 * connect's own errno (ECONNREFUSED, ETIMEDOUT, ...); the fd is closed on failure.
 */
export async function connectStream(o: ConnectOptions): Promise<number> {
  const remote = endpointOf(o.address, o.port);
  const fd = newStreamSocket(remote.family, o.protocol);
  const what = `${o.protocol} ${remote}`;
  try {
    const addr = new Uint8Array(SOCKADDR_MAX_SIZE);
    const len = encodeSockaddr(remote, new DataView(addr.buffer), 0);
    if (libc().connect(fd, addr, len) !== 0) {
      const errno = lastErrno();
      if (errno !== errnoNumber("EINPROGRESS")) {
        throw new SyscallError(errno, "connect", what, HINTS[errnoName(errno)]);
      }
      const pollfds = allocStable(8);
      writePollfd(new DataView(pollfds.buffer), 0, fd, POLLOUT);
      const ready = await poolPoll(pollfds, 1, o.timeoutMs ?? 10_000);
      if (ready === 0) {
        throw new SyscallError(errnoNumber("ETIMEDOUT"), "connect", what, HINTS.ETIMEDOUT);
      }
      const err = new Int32Array(1);
      const errLen = new Uint32Array([4]);
      check(libc().getsockopt(fd, SOL_SOCKET, SO_ERROR, err, errLen), "getsockopt", "SO_ERROR");
      if (err[0] !== 0) {
        throw new SyscallError(err[0], "connect", what, HINTS[errnoName(err[0])]);
      }
    }
    return fd;
  } catch (e) {
    libc().close(fd);
    throw e;
  }
}

/**
 * Where an accepted connection was going before a REDIRECT sent it to us; null when no NAT
 * rewrote it (someone connected to our port directly).
 */
export function originalDestination(fd: number, family: 4 | 6): Endpoint | null {
  const addr = new Uint8Array(SOCKADDR_MAX_SIZE);
  const len = new Uint32Array([SOCKADDR_MAX_SIZE]);
  const level = family === 4 ? IPPROTO_IP : IPPROTO_IPV6;
  if (libc().getsockopt(fd, level, SO_ORIGINAL_DST, addr, len) < 0) return null;
  const ep = new Endpoint();
  return decodeSockaddr(new DataView(addr.buffer), 0, ep) ? ep : null;
}

/** The local address and port of a socket. */
export function localEndpoint(fd: number): Endpoint {
  const addr = new Uint8Array(SOCKADDR_MAX_SIZE);
  const len = new Uint32Array([SOCKADDR_MAX_SIZE]);
  check(libc().getsockname(fd, addr, len), "getsockname");
  const ep = new Endpoint();
  decodeSockaddr(new DataView(addr.buffer), 0, ep);
  return ep;
}

/** Closes an fd that no node:net socket owns yet. */
export function closeFd(fd: number): void {
  libc().close(fd);
}
