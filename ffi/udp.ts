/**
 * UDP sockets made and driven through libc, because Deno's own UDP can neither bind to a device
 * nor reach the packet rates the data path needs. Setup methods throw SyscallError; the
 * per-datagram methods (`sendTo`, `recvFrom`) never throw: they return -errno.
 *
 * For batches of datagrams use mmsg.ts on `socket.fd`.
 */
import {
  AF_INET,
  AF_INET6,
  F_GETFL,
  F_SETFL,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_V6ONLY,
  O_NONBLOCK,
  SO_BINDTODEVICE,
  SO_MARK,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOL_SOCKET,
} from "./constants.ts";
import { check, EINVAL, type ErrnoHints, isErrno, lastErrno } from "./errno.ts";
import { cString, libc, usize } from "./libc.ts";
import { decodeSockaddr, encodeSockaddr, SOCKADDR_MAX_SIZE } from "./structs.ts";
import { Endpoint } from "../src/protocol/endpoint.ts";
import { parseIPv4, parseIPv6 } from "../src/net/ip_address.ts";

const PRIVILEGE_HINTS: ErrnoHints = {
  EPERM: "needs CAP_NET_ADMIN/CAP_NET_RAW (run as root)",
  EACCES: "needs root for ports below 1024",
  EADDRINUSE: "another socket holds this address and port",
  EADDRNOTAVAIL: "the address is not assigned to any interface here",
  ENODEV: "no such network device",
};

/** @see UdpSocket.open */
export interface UdpSocketOptions {
  /** Address family of the socket. */
  family: 4 | 6;
  /** Local address to bind. @default "0.0.0.0" or "::" */
  address?: string;
  /** Local port; 0 lets the kernel pick one (read it back from `localPort`). @default 0 */
  port?: number;
  /** IPv6 socket that also carries IPv4 as v4-mapped addresses (IPV6_V6ONLY=0). @default false */
  dualStack?: boolean;
  /** Bind to this network device (SO_BINDTODEVICE): traffic leaves and arrives only there. */
  device?: string;
  /** Receive buffer in bytes; uses SO_RCVBUFFORCE when privileged, else SO_RCVBUF (capped). */
  receiveBuffer?: number;
  /** Send buffer in bytes; uses SO_SNDBUFFORCE when privileged, else SO_SNDBUF (capped). */
  sendBuffer?: number;
  /** SO_REUSEADDR. @default false */
  reuseAddr?: boolean;
  /** SO_REUSEPORT. @default false */
  reusePort?: boolean;
  /** SO_MARK (fwmark) for policy routing of this socket's packets; needs CAP_NET_ADMIN. */
  mark?: number;
  /** O_NONBLOCK: calls return -EAGAIN instead of waiting. @default false */
  nonBlocking?: boolean;
}

export class UdpSocket {
  readonly fd: number;
  readonly family: 4 | 6;
  #closed = false;
  readonly #name = new Uint8Array(SOCKADDR_MAX_SIZE);
  readonly #nameView = new DataView(this.#name.buffer);
  readonly #nameLength = new Uint32Array(1);
  readonly #sendto;
  readonly #recvfrom;

  private constructor(fd: number, family: 4 | 6) {
    this.fd = fd;
    this.family = family;
    const { sendto, recvfrom } = libc();
    this.#sendto = sendto;
    this.#recvfrom = recvfrom;
  }

  /** Create, configure and bind a UDP socket. On any failure the fd is closed and the error thrown. */
  static open(options: UdpSocketOptions): UdpSocket {
    const { family } = options;
    if (family !== 4 && family !== 6) throw new RangeError(`udp family must be 4 or 6: ${family}`);
    const domain = family === 4 ? AF_INET : AF_INET6;
    const fd = check(
      libc().socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP),
      "socket",
      `AF_INET${family === 6 ? "6" : ""}, SOCK_DGRAM`,
    );
    const sock = new UdpSocket(fd, family);
    try {
      sock.#configure(options);
    } catch (err) {
      sock.close();
      throw err;
    }
    return sock;
  }

  /** Wrap an fd made elsewhere (e.g. handed to a Worker by number). The caller keeps ownership rules. */
  static fromFd(fd: number, family: 4 | 6): UdpSocket {
    return new UdpSocket(fd, family);
  }

  #configure(o: UdpSocketOptions): void {
    if (this.family === 6) {
      this.setIntOption(IPPROTO_IPV6, IPV6_V6ONLY, o.dualStack ? 0 : 1, "IPV6_V6ONLY");
    }
    if (o.reuseAddr) this.setIntOption(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    if (o.reusePort) this.setIntOption(SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
    if (o.device !== undefined) this.bindToDevice(o.device);
    if (o.mark !== undefined) this.setIntOption(SOL_SOCKET, SO_MARK, o.mark, "SO_MARK");
    if (o.receiveBuffer !== undefined) this.setReceiveBuffer(o.receiveBuffer);
    if (o.sendBuffer !== undefined) this.setSendBuffer(o.sendBuffer);
    if (o.nonBlocking) this.setNonBlocking(true);
    this.bind(o.address ?? (this.family === 4 ? "0.0.0.0" : "::"), o.port ?? 0);
  }

  /** bind(2) to `address`:`port` (port 0 = ephemeral). */
  bind(address: string, port: number): void {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`udp port must be 0-65535: ${port}`);
    }
    const ep = new Endpoint();
    ep.family = address.includes(":") ? 6 : 4;
    ep.ip.set(ep.family === 4 ? parseIPv4(address) : parseIPv6(address));
    ep.port = port;
    if (ep.family === 6 && this.family === 4) {
      throw new RangeError(`cannot bind an IPv4 socket to IPv6 address ${address}`);
    }
    const len = encodeSockaddr(ep, this.#nameView, 0, this.family === 6);
    const where = ep.family === 4 ? `${address}:${port}` : `[${address}]:${port}`;
    check(libc().bind(this.fd, this.#name, len), "bind", where, PRIVILEGE_HINTS);
  }

  /** The bound local address and port (getsockname), decoded into `into`. */
  localEndpoint(into: Endpoint = new Endpoint()): Endpoint {
    this.#nameLength[0] = SOCKADDR_MAX_SIZE;
    check(libc().getsockname(this.fd, this.#name, this.#nameLength), "getsockname");
    if (!decodeSockaddr(this.#nameView, 0, into)) {
      throw new Error(`getsockname(${this.fd}) returned an address family other than IPv4/IPv6`);
    }
    return into;
  }

  /** The bound local port (useful after binding port 0). */
  get localPort(): number {
    return this.localEndpoint().port;
  }

  /** SO_BINDTODEVICE: the socket sends and receives only through `device`. */
  bindToDevice(device: string): void {
    const name = cString(device);
    check(
      libc().setsockopt(this.fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length),
      "setsockopt",
      `SO_BINDTODEVICE, ${JSON.stringify(device)}`,
      PRIVILEGE_HINTS,
    );
  }

  /** Receive buffer size: the FORCE variant first (ignores rmem_max; root), else the capped one. */
  setReceiveBuffer(bytes: number): void {
    this.#setBuffer(SO_RCVBUFFORCE, SO_RCVBUF, bytes, "SO_RCVBUF");
  }

  /** Send buffer size: the FORCE variant first (ignores wmem_max; root), else the capped one. */
  setSendBuffer(bytes: number): void {
    this.#setBuffer(SO_SNDBUFFORCE, SO_SNDBUF, bytes, "SO_SNDBUF");
  }

  /** The receive buffer the kernel granted (it reports double the requested size, as it books overhead). */
  receiveBufferSize(): number {
    return this.getIntOption(SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
  }

  /** The send buffer the kernel granted (double the request, as for the receive buffer). */
  sendBufferSize(): number {
    return this.getIntOption(SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
  }

  #setBuffer(force: number, plain: number, bytes: number, label: string): void {
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes > 0x7fffffff) {
      throw new RangeError(`${label} size must be a positive 32-bit integer: ${bytes}`);
    }
    try {
      this.setIntOption(SOL_SOCKET, force, bytes, `${label}FORCE`);
    } catch (err) {
      if (!isErrno(err, "EPERM")) throw err;
      this.setIntOption(SOL_SOCKET, plain, bytes, label);
    }
  }

  /** O_NONBLOCK on or off. */
  setNonBlocking(on: boolean): void {
    const { fcntl } = libc();
    const flags = check(fcntl(this.fd, F_GETFL, 0), "fcntl", "F_GETFL");
    const next = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    check(fcntl(this.fd, F_SETFL, next), "fcntl", "F_SETFL, O_NONBLOCK");
  }

  /** setsockopt with an int value; `label` names the option in errors. */
  setIntOption(level: number, option: number, value: number, label: string): void {
    const v = new Int32Array([value]);
    check(
      libc().setsockopt(this.fd, level, option, v, 4),
      "setsockopt",
      `${label}, ${value}`,
      PRIVILEGE_HINTS,
    );
  }

  /** getsockopt with an int value. */
  getIntOption(level: number, option: number, label: string): number {
    const v = new Int32Array(1);
    const len = new Uint32Array([4]);
    check(libc().getsockopt(this.fd, level, option, v, len), "getsockopt", label);
    return v[0];
  }

  /** Send the first `length` bytes of `buf` to `dst`; returns bytes sent or -errno. */
  sendTo(buf: Uint8Array, length: number, dst: Endpoint): number {
    if (length > buf.length) return -EINVAL;
    const nameLength = encodeSockaddr(dst, this.#nameView, 0, this.family === 6);
    const n = this.#sendto(this.fd, buf, usize(length), 0, this.#name, nameLength);
    return n < 0 ? -lastErrno() : n;
  }

  /**
   * Receive one datagram into `buf` and its source into `from`; returns its length or -errno.
   * A datagram longer than `buf` is truncated (the length returned is then `buf.length`).
   */
  recvFrom(buf: Uint8Array, from: Endpoint, flags = 0): number {
    this.#nameLength[0] = SOCKADDR_MAX_SIZE;
    const n = this.#recvfrom(this.fd, buf, usize(buf.length), flags, this.#name, this.#nameLength);
    if (n < 0) return -lastErrno();
    decodeSockaddr(this.#nameView, 0, from);
    return n;
  }

  /** Close the fd. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.fd);
  }
}
