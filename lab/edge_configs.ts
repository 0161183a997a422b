/**
 * Configurations for the VPS edge lab: one VPS serving two bond routers ("home", "office") and a
 * stock WireGuard client ("phone") on one port, with static inbound forwards per peer. The VPS
 * file is produced from plain data so a test can change forwards or reach and reload it.
 */
import { stringify } from "yaml";
import { bondConfigText, bondKeyPair } from "./bond_node.ts";
import { BOND_TUNNEL } from "./bond_pair.ts";
import type { EdgeTopology } from "./edge_topology.ts";

/** Tunnel addresses: the VPS and the two routers as in bond_pair, the phone after them. */
export const EDGE_TUNNEL = {
  ...BOND_TUNNEL,
  r2: { v4: "10.77.0.3", v6: "fd77::3" },
  phone: { v4: "10.77.0.4" },
} as const;

export interface EdgeForward {
  proto: "tcp" | "udp";
  port: number;
  /** `host:port` or `[v6]:port`. */
  to: string;
}

export interface EdgePeerSettings {
  forwards?: readonly EdgeForward[];
  reach?: readonly string[];
}

export interface EdgeKeys {
  vps: { priv: string; pub: string };
  home: { priv: string; pub: string };
  office: { priv: string; pub: string };
  /** The phone's public key (its private key lives with wireguard-go). */
  phonePub: string;
}

/** Fresh keys for every edge peer; `phonePub` when a real phone (wireguard-go) takes part. */
export function freshEdgeKeys(phonePub = bondKeyPair().pub): EdgeKeys {
  return { vps: bondKeyPair(), home: bondKeyPair(), office: bondKeyPair(), phonePub };
}

/** The VPS file: three peers, their forwards and reach, control socket at `controlSocket`. */
export function edgeVpsConfig(
  topo: EdgeTopology,
  keys: EdgeKeys,
  controlSocket: string,
  peers: { home?: EdgePeerSettings; office?: EdgePeerSettings; phone?: EdgePeerSettings } = {},
  /** nat.ipv6_prefix: home gets its first /64, office the second, phone the third. */
  ipv6Prefix?: string,
): string {
  const t = EDGE_TUNNEL;
  const peer = (name: string, key: string, allowed: string[], s: EdgePeerSettings = {}) => ({
    name,
    public_key: key,
    allowed_ips: allowed,
    ...(s.forwards ? { forwards: s.forwards } : {}),
    ...(s.reach ? { reach: s.reach } : {}),
  });
  return stringify({
    role: "vps",
    private_key: keys.vps.priv,
    interface: {
      name: t.interfaceName,
      address: [`${t.vps.v4}/24`, `${t.vps.v6}/64`],
      mtu: t.mtu,
      listen_port: t.listenPort,
    },
    peers: [
      peer("home", keys.home.pub, [
        `${t.router.v4}/32`,
        `${t.router.v6}/128`,
        topo.subnets.lan.v4,
        topo.subnets.lan.v6,
      ], peers.home),
      peer("office", keys.office.pub, [
        `${t.r2.v4}/32`,
        `${t.r2.v6}/128`,
        topo.edgeSubnets.lan2.v4,
        topo.edgeSubnets.lan2.v6,
      ], peers.office),
      peer("phone", keys.phonePub, [`${t.phone.v4}/32`], peers.phone),
    ],
    nat: {
      public_interface: topo.vps.eth0.ifname,
      ...(ipv6Prefix ? { ipv6_prefix: ipv6Prefix } : {}),
    },
    control: { socket: controlSocket },
  });
}

/** A bond router of the edge lab, sending everything through the VPS. */
export function edgeRouterConfig(
  topo: EdgeTopology,
  keys: EdgeKeys,
  who: "home" | "office",
): string {
  const t = EDGE_TUNNEL;
  const own = who === "home" ? t.router : t.r2;
  return bondConfigText({
    role: "router",
    privateKey: keys[who].priv,
    interfaceName: t.interfaceName,
    addresses: [`${own.v4}/24`, `${own.v6}/64`],
    mtu: t.mtu,
    peers: [{
      name: "edge",
      publicKey: keys.vps.pub,
      endpoint: `${topo.vps.eth0.v4}:${t.listenPort}`,
      allowedIps: ["0.0.0.0/0", "::/0"],
      persistentKeepalive: 25,
    }],
    defaultRoute: true,
  });
}
