/**
 * bond on both ends of the lab topology, as a user would run it: the VPS listening on its
 * public address and masquerading out of eth0, the router sending everything (its own traffic
 * and its LAN's) through the tunnel by policy routing while its underlay stays reachable.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import type { LinkEnd, Subnet } from "./topology.ts";
import type { LinkPatch } from "./wan/wan_settings.ts";
import {
  bondConfigText,
  bondKeyPair,
  type BondNode,
  startBond,
  type StartBondOptions,
} from "./bond_node.ts";

export const BOND_TUNNEL = {
  interfaceName: "bnd0",
  listenPort: 65535,
  mtu: 1420,
  vps: { v4: "10.77.0.1", v6: "fd77::1" },
  router: { v4: "10.77.0.2", v6: "fd77::2" },
} as const;

export interface BondPair {
  router: BondNode;
  vps: BondNode;
  routerConfig: string;
  vpsConfig: string;
  stop(): Promise<void>;
}

export interface BondPairOptions {
  /**
   * Which VPS address the router dials; "both": its IPv4 and IPv6 endpoints (IPv4 first), so
   * links of either family reach it. @default "v4"
   */
  endpointFamily?: "v4" | "v6" | "both";
  /** crypto.backend for both ends. @default auto */
  crypto?: string;
  env?: StartBondOptions["env"];
  /** Router sends everything through the tunnel. @default true */
  defaultRoute?: boolean;
  /**
   * The router's `links` (one per WAN: see `wanLinks`). Absent: the file has none, and the
   * router uses one link over its default route.
   */
  links?: BondPairLink[];
  /** The router's `scheduler.mode`. Absent: the default. */
  scheduler?: "aggregate" | "pinned" | "redundant" | "failover";
  /** The router's `scheduler.tcp` (the TCP split). Absent: the default (mptcp). */
  tcp?: "mptcp" | "packet";
}

/** One router link in the configuration file. */
export interface BondPairLink {
  name: string;
  device?: string;
  source?: string;
  /** Scheduler seeds, Mbit/s. */
  downMbps?: number;
  upMbps?: number;
}

/** One link per WAN of a multi-WAN lab, bound to its device, seeded with its emulated rates. */
export function wanLinks(
  wans: readonly { name: string; settings: LinkPatch }[],
): BondPairLink[] {
  return wans.map((w) => ({
    name: w.name,
    device: w.name,
    downMbps: w.settings.down?.rateMbps || undefined,
    upMbps: w.settings.up?.rateMbps || undefined,
  }));
}

/** The YAML of the router's `links` and `scheduler` sections (appended: both are top level). */
export function routerExtras(opts: Pick<BondPairOptions, "links" | "scheduler" | "tcp">): string {
  const lines: string[] = [];
  if (opts.links && opts.links.length > 0) {
    lines.push("links:");
    for (const l of opts.links) {
      lines.push(`  - name: ${l.name}`);
      if (l.device) lines.push(`    device: ${l.device}`);
      if (l.source) lines.push(`    source: "${l.source}"`);
      if (l.downMbps) lines.push(`    down_mbps: ${l.downMbps}`);
      if (l.upMbps) lines.push(`    up_mbps: ${l.upMbps}`);
    }
  }
  if (opts.scheduler || opts.tcp) lines.push("scheduler:");
  if (opts.scheduler) lines.push(`  mode: ${opts.scheduler}`);
  if (opts.tcp) lines.push(`  tcp: ${opts.tcp}`);
  return lines.length > 0 ? lines.join("\n") + "\n" : "";
}

/** What a bond pair needs of a lab topology (the one-WAN and the multi-WAN labs both have it). */
export interface PairTopology {
  hosts: { router: string; vps: string };
  vps: { eth0: LinkEnd };
  subnets: { lan: Subnet };
}

export function bondPairConfigs(topo: PairTopology, opts: BondPairOptions = {}) {
  const t = BOND_TUNNEL;
  const routerKeys = bondKeyPair();
  const vpsKeys = bondKeyPair();
  const dial = (family: "v4" | "v6") => {
    const address = topo.vps.eth0[family];
    return `${address.includes(":") ? `[${address}]` : address}:${t.listenPort}`;
  };
  const family = opts.endpointFamily ?? "v4";
  const endpoint = family === "both" ? [dial("v4"), dial("v6")] : dial(family);
  const vpsConfig = bondConfigText({
    role: "vps",
    privateKey: vpsKeys.priv,
    interfaceName: t.interfaceName,
    addresses: [`${t.vps.v4}/24`, `${t.vps.v6}/64`],
    mtu: t.mtu,
    listenPort: t.listenPort,
    peers: [{
      name: "home",
      publicKey: routerKeys.pub,
      // The router's tunnel addresses and its LAN, which the VPS routes back through the tunnel.
      allowedIps: [
        `${t.router.v4}/32`,
        `${t.router.v6}/128`,
        topo.subnets.lan.v4,
        topo.subnets.lan.v6,
      ],
    }],
    publicInterface: topo.vps.eth0.ifname,
    crypto: opts.crypto,
  });
  const routerConfig = bondConfigText({
    role: "router",
    privateKey: routerKeys.priv,
    interfaceName: t.interfaceName,
    addresses: [`${t.router.v4}/24`, `${t.router.v6}/64`],
    mtu: t.mtu,
    peers: [{
      name: "edge",
      publicKey: vpsKeys.pub,
      endpoint,
      allowedIps: ["0.0.0.0/0", "::/0"],
      persistentKeepalive: 25,
    }],
    defaultRoute: opts.defaultRoute ?? true,
    crypto: opts.crypto,
  }) + routerExtras(opts);
  return { routerConfig, vpsConfig };
}

export async function startBondPair(
  lab: Lab,
  topo: PairTopology,
  opts: BondPairOptions = {},
): Promise<BondPair> {
  const { routerConfig, vpsConfig } = bondPairConfigs(topo, opts);
  const vps = await startBond(lab, topo.hosts.vps, vpsConfig, { env: opts.env });
  let router: BondNode;
  try {
    router = await startBond(lab, topo.hosts.router, routerConfig, { env: opts.env });
  } catch (err) {
    await vps.stop();
    throw err;
  }
  return {
    router,
    vps,
    routerConfig,
    vpsConfig,
    stop: async () => {
      await router.stop();
      await vps.stop();
    },
  };
}
