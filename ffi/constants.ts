/**
 * Linux ABI constants used through FFI (values from the kernel and glibc headers; identical on
 * x86_64 and aarch64, the two targets bond ships for).
 */

// Address families and socket types.
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0x800;
export const SOCK_CLOEXEC = 0x80000;
export const IPPROTO_UDP = 17;
/** Socket option level of UDP (same number as the protocol). */
export const SOL_UDP = 17;
/** UDP generic segmentation offload: one send, many datagrams of this size (linux/udp.h). */
export const UDP_SEGMENT = 103;
/** UDP generic receive offload: consecutive datagrams of a flow arrive coalesced (linux/udp.h). */
export const UDP_GRO = 104;

// Socket option levels and names.
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_REUSEPORT = 15;
export const SO_RCVTIMEO = 20;
export const SO_BINDTODEVICE = 25;
/** Like SO_SNDBUF but ignores net.core.wmem_max; needs CAP_NET_ADMIN. */
export const SO_SNDBUFFORCE = 32;
/** Like SO_RCVBUF but ignores net.core.rmem_max; needs CAP_NET_ADMIN. */
export const SO_RCVBUFFORCE = 33;
export const SO_MARK = 36;
export const IPPROTO_IP = 0;
/** Multipath TCP: socket(AF_INET[6], SOCK_STREAM, IPPROTO_MPTCP) (linux/in.h). */
export const IPPROTO_MPTCP = 262;
/**
 * Level IPPROTO_IP: the destination a connection had before a NAT REDIRECT (linux/netfilter_ipv4.h);
 * at level IPPROTO_IPV6 the same number is IP6T_SO_ORIGINAL_DST.
 */
export const SO_ORIGINAL_DST = 80;
/** Level SOL_SOCKET: a socket's pending error (connect's outcome once it is writable). */
export const SO_ERROR = 4;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
/** ICMPv6 (raw sockets for Router Advertisements). */
export const IPPROTO_ICMPV6 = 58;
/** Hop limit of unicast packets a socket sends (linux/in6.h). */
export const IPV6_UNICAST_HOPS = 16;
/** Interface index multicast leaves through. */
export const IPV6_MULTICAST_IF = 17;
/** Hop limit of multicast packets a socket sends. */
export const IPV6_MULTICAST_HOPS = 18;
/** Whether a socket's own multicast comes back to the local host. */
export const IPV6_MULTICAST_LOOP = 19;
/** Join a multicast group (struct ipv6_mreq); also spelled IPV6_JOIN_GROUP. */
export const IPV6_ADD_MEMBERSHIP = 20;
/** Level IPPROTO_ICMPV6: which ICMPv6 types a raw socket receives (struct icmp6_filter). */
export const ICMP6_FILTER = 1;

// Message flags.
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
/** recvmmsg: block for the first datagram only, then take what is queued. */
export const MSG_WAITFORONE = 0x10000;

// open(2) and fcntl(2).
export const O_RDWR = 0x2;
export const O_NONBLOCK = 0x800;
export const O_CLOEXEC = 0x80000;
export const F_GETFL = 3;
export const F_SETFL = 4;

// eventfd(2).
export const EFD_SEMAPHORE = 0x1;
export const EFD_NONBLOCK = 0x800;
export const EFD_CLOEXEC = 0x80000;

// poll(2) event bits.
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

// TUN driver (linux/if_tun.h).
/** _IOW('T', 202, int) */
export const TUNSETIFF = 0x400454can;
export const IFF_TUN = 0x0001;
export const IFF_MULTI_QUEUE = 0x0100;
export const IFF_NO_PI = 0x1000;
/** Every read and write carries a struct virtio_net_hdr first (src/offload/virtio_net_hdr.ts). */
export const IFF_VNET_HDR = 0x4000;
/** _IOW('T', 208, unsigned int): which offloads the kernel may hand us (TUN_F_*). */
export const TUNSETOFFLOAD = 0x400454d0n;
/** Partial checksums, TCP segmentation over IPv4 and over IPv6. */
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
/** IFNAMSIZ: interface names are at most 15 bytes plus the NUL. */
export const IFNAMSIZ = 16;

// setns(2) namespace types.
export const CLONE_NEWNET = 0x40000000;

// TCP client sockets (ffi/tcp.ts).
export const SOCK_STREAM = 1;
export const IPPROTO_TCP = 6;
export const SO_SNDTIMEO = 21;
/** shutdown(2): no more sends; the peer reads end-of-file. */
export const SHUT_WR = 1;
/** send(2): a write to a reset connection returns EPIPE instead of raising SIGPIPE. */
export const MSG_NOSIGNAL = 0x4000;
