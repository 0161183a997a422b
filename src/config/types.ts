/**
 * The validated configuration the daemon consumes. Every value here has been checked by
 * `validateConfig` (src/config/validate.ts): keys are 32 bytes, CIDRs parsed, ports in range,
 * role rules hold, defaults applied. Field names are the YAML keys in camelCase.
 */

export type Role = "router" | "vps";

export type SchedulerMode = "aggregate" | "pinned" | "redundant" | "failover";
/**
 * How LAN TCP crosses a bonded tunnel: `mptcp` splits each connection into one MPTCP subflow
 * per path inside the tunnel (src/mptcp/), `packet` sends its packets like any others.
 */
export type TcpMode = "mptcp" | "packet";

export type CryptoBackendPreference = "auto" | "openssl" | "libsodium" | "noble";

export type LogLevel = "error" | "warn" | "info" | "debug";

export type ForwardProto = "tcp" | "udp";

/** An IP prefix such as `10.66.0.2/24`, parsed (see src/net/cidr.ts). */
import type { Cidr } from "../net/cidr.ts";
export type { Cidr };

/**
 * A UDP endpoint as written in the file. `host` is an IPv4 literal, an IPv6 literal (without
 * brackets) or a DNS name; the daemon resolves names itself, so a name that does not resolve
 * at start-up is not a config error.
 */
export interface HostPort {
  host: string;
  port: number;
}

export interface InterfaceConfig {
  /**
   * The TUN device name (at most 15 bytes, the kernel's IFNAMSIZ limit).
   * @default "bnd0"
   */
  name: string;
  /** Addresses put on the TUN device; at least one. */
  address: Cidr[];
  /**
   * The MTU as written: `"auto"` or 1280-9000 (1280 is the IPv6 minimum).
   * @default "auto"
   */
  mtu: "auto" | number;
  /**
   * The MTU to configure now. For `mtu: auto` this is {@link AUTO_MTU_START} until path MTU
   * discovery, which comes with the bonding layer, refines it.
   */
  effectiveMtu: number;
  /** VPS: the UDP port every link lands on (required). Router: absent, it uses ephemeral ports. */
  listenPort?: number;
}

export interface PeerConfig {
  /**
   * A label for logs and status.
   * @default "peer<index>", e.g. "peer0"
   */
  name: string;
  publicKey: Uint8Array;
  /** From `preshared_key` or `preshared_key_file`; absent when neither is given. */
  presharedKey?: Uint8Array;
  /** Router side only (and required there): where the VPS listens. */
  endpoint?: HostPort;
  /**
   * Router side only: the VPS's address of the other family (`endpoint` as a list of an IPv4
   * and an IPv6 address), so links of that family reach it too. A name in `endpoint` gives it
   * by resolving to both.
   */
  alternateEndpoint?: HostPort;
  /**
   * Inner source addresses accepted from this peer and routed to it.
   * @default router: [0.0.0.0/0, ::/0]; vps: required
   */
  allowedIps: Cidr[];
  /**
   * Seconds between keepalives when otherwise idle; 0 turns them off.
   * @default 0
   */
  persistentKeepalive: number;
  /**
   * VPS only: static inbound forwards to this peer's LAN (same shape as the router's
   * `forwards:`); the router's pushed forwards are added to them.
   * @default []
   */
  forwards: ForwardConfig[];
  /**
   * VPS only: names of other peers this peer may open connections to through the VPS; replies
   * flow back. Every other peer-to-peer packet is dropped.
   * @default []
   */
  reach: string[];
  /**
   * VPS with `nat.ipv6_prefix` only: this peer's /64 of that prefix (the peer's index-th),
   * routed into the tunnel without NAT66. Also added to `allowedIps`.
   */
  routedPrefix?: Cidr;
}

export interface LinkConfig {
  name: string;
  /** Bound with SO_BINDTODEVICE. A configured link has a device, a source, or both. */
  device?: string;
  /** Source address for this link's socket. */
  source?: { family: 4 | 6; address: Uint8Array; text: string };
  /**
   * Static weight (pinned mode, and a tie-breaker elsewhere); positive.
   * @default 1
   */
  weight: number;
  /** Seed for the scheduler until measurements exist; absent when unknown. */
  downMbps?: number;
  /** Seed for the scheduler until measurements exist; absent when unknown. */
  upMbps?: number;
}

export interface ForwardConfig {
  proto: ForwardProto;
  /** Public port on the VPS, 1-64999 (65000-65535 belong to the VPS itself). */
  port: number;
  /** The LAN host behind the router; `host` is always an IP literal here. */
  to: HostPort;
}

export interface BondConfig {
  role: Role;
  /** From `private_key` or `private_key_file`. */
  privateKey: Uint8Array;
  interface: InterfaceConfig;
  /** Router: exactly one. VPS: one or more. */
  peers: PeerConfig[];
  /**
   * Router only. When the file has no `links`, one link named "default" with neither device
   * nor source: a socket over the default route. Always empty for the VPS.
   * @default [{ name: "default", weight: 1 }] (router)
   */
  links: LinkConfig[];
  scheduler: {
    /** @default "aggregate" */
    mode: SchedulerMode;
    /**
     * Router: whether LAN TCP is split over MPTCP (aggregate mode, two links or more, a VPS
     * that offers it). VPS: whether it offers the split. @default "mptcp"
     */
    tcp: TcpMode;
  };
  /** Router only; for the VPS it keeps its default and is ignored. */
  routing: {
    /**
     * Send all traffic through the tunnel while keeping the underlay reachable.
     * @default true
     */
    defaultRoute: boolean;
  };
  /** VPS only; absent means no masquerade and no inbound forwards. */
  nat?: {
    /** Egress masquerade and inbound forwards live on this interface. */
    publicInterface: string;
    /**
     * A prefix (/48 to /64) the provider routes to the VPS; peer i gets its i-th /64, routed
     * into the tunnel without NAT66. Absent: IPv6 from the tunnel is masqueraded (NAT66).
     */
    ipv6Prefix?: Cidr;
  };
  /**
   * Router only: what to do with the routed IPv6 prefix (a /64) the VPS hands this router
   * (its `nat.ipv6_prefix`). Absent: the prefix is only shown in status.
   */
  lan?: {
    /** The LAN interface that gets `<prefix>::1/64`; absent: the prefix is only shown. */
    interface?: string;
    /**
     * Announce the prefix on `interface` with Router Advertisements (SLAAC, default route,
     * tunnel MTU); false when another daemon (odhcpd, radvd) announces it.
     * @default true
     */
    routerAdvertisements: boolean;
  };
  /**
   * Router only: inbound port forwards, pushed to the VPS.
   * @default []
   */
  forwards: ForwardConfig[];
  crypto: {
    /**
     * Which AEAD backend the data path uses; `auto` picks the fastest available.
     * @default "auto"
     */
    backend: CryptoBackendPreference;
  };
  log: {
    /** @default "info" */
    level: LogLevel;
  };
  control: {
    /**
     * The control socket `bond status`, `bond reload` and scripts talk to.
     * @default `/run/bond/<interface.name>.sock`
     */
    socket: string;
  };
  metrics: {
    /** Prometheus listener, a loopback address only; absent means no listener. */
    listen?: HostPort;
  };
}

/**
 * Tunnel MTU used for `mtu: auto` until path MTU discovery (part of the bonding layer) exists:
 * a 1500-byte underlay minus the largest outer headers (IPv6 40 + UDP 8) and WireGuard's
 * transport overhead (16-byte header + 16-byte tag).
 */
export const AUTO_MTU_START = 1500 - 40 - 8 - 16 - 16;

/** IPv6 requires links of at least 1280 bytes (RFC 8200 section 5). */
export const MIN_MTU = 1280;

/** Upper bound accepted for a numeric mtu: jumbo frames. */
export const MAX_MTU = 9000;

/** Ports from here up are reserved for the VPS's own use (underlay, control). */
export const RESERVED_PORT_START = 65000;
