/**
 * A raw ICMPv6 socket on one interface, for Neighbor Discovery messages (the router's Router
 * Advertisements). Set up for what RFC 4861 requires of them: hop limit 255 on everything sent
 * (receivers drop ND messages with any other, proof they were not routed), bound to the device,
 * multicast out of that device and not looped back to ourselves, member of the groups given
 * (ff02::2, all-routers, to hear Router Solicitations) and receiving only the ICMPv6 types
 * asked for. Non-blocking: the caller polls `receive` from a timer on the main thread.
 *
 * The kernel computes the ICMPv6 checksum of every message sent on such a socket. Setup
 * throws SyscallError; `send` and `receive` return -errno.
 */
import {
  AF_INET6,
  ICMP6_FILTER,
  IPPROTO_ICMPV6,
  IPPROTO_IPV6,
  IPV6_ADD_MEMBERSHIP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_UNICAST_HOPS,
  SO_BINDTODEVICE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from "./constants.ts";
import { check, type ErrnoHints, lastErrno } from "./errno.ts";
import { cString, libc, usize } from "./libc.ts";
import { SOCKADDR_IN6_SIZE } from "./structs.ts";

const HINTS: ErrnoHints = {
  EPERM: "raw sockets need CAP_NET_RAW (run as root)",
  ENODEV: "no such network device",
};

/** struct ipv6_mreq: the group (16 bytes) and the interface index (int). */
const IPV6_MREQ_SIZE = 20;
/** struct icmp6_filter: 256 bits, one per ICMPv6 type; a set bit blocks the type. */
const ICMP6_FILTER_SIZE = 32;

export interface Icmpv6SocketOptions {
  /** The interface (name) to send and receive on. */
  device: string;
  /** Hop limit of everything sent. @default 255 (what Neighbor Discovery requires) */
  hopLimit?: number;
  /** Multicast groups to join on the device (16-byte addresses), e.g. ff02::2. */
  groups?: Uint8Array[];
  /** ICMPv6 types to receive; all others are filtered out by the kernel. @default none */
  receiveTypes?: number[];
}

export class Icmpv6Socket {
  readonly fd: number;
  readonly ifindex: number;
  #closed = false;
  readonly #name = new Uint8Array(SOCKADDR_IN6_SIZE);
  readonly #nameView = new DataView(this.#name.buffer);
  readonly #nameLength = new Uint32Array(1);

  private constructor(fd: number, ifindex: number) {
    this.fd = fd;
    this.ifindex = ifindex;
  }

  static open(o: Icmpv6SocketOptions): Icmpv6Socket {
    const ifindex = libc().if_nametoindex(cString(o.device));
    if (ifindex === 0) {
      check(-1, "if_nametoindex", JSON.stringify(o.device), HINTS);
    }
    const fd = check(
      libc().socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6),
      "socket",
      "AF_INET6, SOCK_RAW, IPPROTO_ICMPV6",
      HINTS,
    );
    const sock = new Icmpv6Socket(fd, ifindex);
    try {
      sock.#configure(o);
    } catch (err) {
      sock.close();
      throw err;
    }
    return sock;
  }

  #configure(o: Icmpv6SocketOptions): void {
    const device = cString(o.device);
    check(
      libc().setsockopt(this.fd, SOL_SOCKET, SO_BINDTODEVICE, device, device.length),
      "setsockopt",
      `SO_BINDTODEVICE, ${JSON.stringify(o.device)}`,
      HINTS,
    );
    const hops = o.hopLimit ?? 255;
    this.#setInt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops, "IPV6_UNICAST_HOPS");
    this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops, "IPV6_MULTICAST_HOPS");
    this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_IF, this.ifindex, "IPV6_MULTICAST_IF");
    // Our own RAs are not for this host: it routes, it does not autoconfigure from them.
    this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
    const filter = new Uint32Array(ICMP6_FILTER_SIZE / 4).fill(0xffffffff);
    for (const type of o.receiveTypes ?? []) filter[type >> 5] &= ~(1 << (type & 31));
    check(
      libc().setsockopt(this.fd, IPPROTO_ICMPV6, ICMP6_FILTER, filter, ICMP6_FILTER_SIZE),
      "setsockopt",
      "ICMP6_FILTER",
    );
    for (const group of o.groups ?? []) {
      const mreq = new Uint8Array(IPV6_MREQ_SIZE);
      mreq.set(group.subarray(0, 16));
      new DataView(mreq.buffer).setInt32(16, this.ifindex, true);
      check(
        libc().setsockopt(this.fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, IPV6_MREQ_SIZE),
        "setsockopt",
        `IPV6_ADD_MEMBERSHIP on ${o.device}`,
        HINTS,
      );
    }
  }

  #setInt(level: number, option: number, value: number, label: string): void {
    const v = new Int32Array([value]);
    check(libc().setsockopt(this.fd, level, option, v, 4), "setsockopt", `${label}, ${value}`);
  }

  /** Sends `message` (ICMPv6, checksum left to the kernel) to `to` on the device. */
  send(message: Uint8Array, to: Uint8Array): number {
    this.#writeName(to);
    const n = libc().sendto(
      this.fd,
      message,
      usize(message.length),
      0,
      this.#name,
      this.#name.length,
    );
    return n < 0 ? -lastErrno() : n;
  }

  /**
   * One message into `buf` (its source address into `from`, 16 bytes); its length, or -errno
   * (-EAGAIN: nothing waiting).
   */
  receive(buf: Uint8Array, from?: Uint8Array): number {
    this.#nameLength[0] = SOCKADDR_IN6_SIZE;
    const n = libc().recvfrom(this.fd, buf, usize(buf.length), 0, this.#name, this.#nameLength);
    if (n < 0) return -lastErrno();
    from?.set(this.#name.subarray(8, 24));
    return n;
  }

  /** Close the fd. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.fd);
  }

  /** sockaddr_in6 for `address` on our device (the scope of link-local destinations). */
  #writeName(address: Uint8Array): void {
    const v = this.#nameView;
    v.setUint16(0, AF_INET6, true);
    v.setUint16(2, 0); // port: none for raw sockets
    v.setUint32(4, 0); // flowinfo
    this.#name.set(address.subarray(0, 16), 8);
    v.setUint32(24, this.ifindex, true); // scope_id, host byte order
  }
}
