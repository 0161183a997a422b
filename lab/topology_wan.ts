/**
 * The multi-WAN lab: a router with several WANs, each through its own emulated ISP.
 *
 * ```
 *  lan ──eth0/lan0── router ──wan1/access── isp1 ──transit/isp1──┐
 *                           ──wan2/access── isp2 ──transit/isp2──┼── inet ──vps0/eth0── vps
 *                           ──wan3/access── isp3 ──transit/isp3──┘       ──srv0/eth0── srv
 * ```
 *
 * Addresses (N = 1, 2, 3...; documentation, private and benchmarking ranges only):
 * - lan—router      192.168.50.0/24, fd50::/64      (router .1, lan .2)
 * - router—ispN     100.64.N.0/24, 2001:db8:a:N::/64 (the ISP's access network, RFC 6598
 *                   shared space as carriers use it; ispN .1 is the router's gateway, router .2)
 * - ispN—inet       198.18.N.0/24, 2001:db8:f:N::/64 (transit, RFC 2544 range; ispN .2, inet .1)
 * - inet—vps        203.0.113.0/24, 2001:db8:2::/64  (vps .10, as in topology.ts)
 * - inet—srv        192.0.2.0/24, 2001:db8:3::/64    (srv .10, as in topology.ts)
 *
 * Routing:
 * - router: WAN N has its own table (WAN_TABLE_BASE + N) with the access network and a
 *   default route via ispN; rules send packets *from* WAN N's addresses, or from sockets bound
 *   to wanN, to that table, so a socket bound to a WAN's address or device leaves through that
 *   WAN. The main table holds default routes via every WAN, wan1 preferred (lowest metric),
 *   for traffic that names no WAN. Nothing routes the LAN to the internet: that is the
 *   tunnel's job, as in topology.ts.
 * - ispN: the WAN emulator sits between `access` and `transit` (lab/wan/wan_routing.ts), with
 *   optional CGNAT (lab/wan/cgnat.ts): the router's IPv4 then leaves as 198.18.N.2 and the
 *   access network is not routed in inet; IPv6 is always routed.
 * - inet: routes to every ISP's customers; vps and srv have default routes via inet.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import { waitFor } from "../tests/netns/harness/wait_for.ts";
import {
  defaultRoutesVia as defaultVia,
  endIn as end,
  joinEnds as join,
  type LinkEnd,
  type Subnet,
  subnetOf as subnet,
} from "./lab_addressing.ts";
import { enableCgnat } from "./wan/cgnat.ts";
import { PROFILE_A } from "./wan/profiles.ts";
import { DOWN_TUN, startWanEmulator, type WanEmulator } from "./wan/start_wan_emulator.ts";
import { checkLinkPatch, type LinkPatch } from "./wan/wan_settings.ts";

/** Router table of WAN N: WAN_TABLE_BASE + N. */
export const WAN_TABLE_BASE = 100;
/** Router rules of WAN N: WAN_RULE_PRIORITY + N, before the bond daemon's (25100+). */
export const WAN_RULE_PRIORITY = 1000;
/** Main-table default route metric of WAN N: WAN_METRIC_STEP × N (wan1 preferred). */
export const WAN_METRIC_STEP = 100;
/** Most WANs the address plan has room for. */
export const MAX_WANS = 8;

const ACCESS_IF = "access";
const TRANSIT_IF = "transit";

/** One WAN: the router's end, the ISP in between, the internet's end. */
export interface WanPlan {
  /** "wan1": the router's interface, and the link's name for `deno task lab link`. */
  name: string;
  /** 1-based. */
  index: number;
  /** The ISP's lab host ("isp1"). */
  isp: string;
  /** The router's WAN interface and addresses. */
  router: LinkEnd;
  /** The ISP's interface towards the router: the router's gateway. */
  access: LinkEnd;
  /** The ISP's interface towards the internet (its public address under CGNAT). */
  transit: LinkEnd;
  /** The internet's interface towards this ISP. */
  inet: LinkEnd;
  subnets: { access: Subnet; transit: Subnet };
  /** The router's routing table for this WAN. */
  table: number;
  /** IPv4 masqueraded by the ISP (CGNAT). */
  nat: boolean;
  /** The emulator's settings at start. */
  settings: LinkPatch;
}

export interface WanTopology {
  hosts: { lan: string; router: string; inet: string; vps: string; srv: string; isps: string[] };
  lan: { eth0: LinkEnd };
  router: { lan: LinkEnd };
  wans: WanPlan[];
  inet: { vps: LinkEnd; srv: LinkEnd };
  vps: { eth0: LinkEnd };
  srv: { eth0: LinkEnd };
  subnets: { lan: Subnet; vps: Subnet; srv: Subnet };
  /** Every link's MTU. */
  mtu: number;
}

export interface WanTopologyOptions {
  /** One entry per WAN (1 to MAX_WANS), its emulator's settings. @default profile A */
  links?: LinkPatch[];
  /** CGNAT in every ISP, or per WAN. @default false */
  nat?: boolean | boolean[];
  /** @default 1500 */
  mtu?: number;
  /** Seed of the emulators' loss and jitter (WAN N uses seed + N). @default random */
  seed?: number;
}

/** A built multi-WAN lab: the plan and the running emulators, wan1 first. */
export interface WanLab {
  topology: WanTopology;
  emulators: WanEmulator[];
  /** The emulator of "wan2" (or throws naming the known links). */
  wan(name: string): WanEmulator;
}

function wanPlan(n: number, settings: LinkPatch, nat: boolean): WanPlan {
  const isp = `isp${n}`;
  const access = { v4: `100.64.${n}.0`, v6: `2001:db8:a:${n}::` };
  const transit = { v4: `198.18.${n}.0`, v6: `2001:db8:f:${n}::` };
  return {
    name: `wan${n}`,
    index: n,
    isp,
    router: end("router", `wan${n}`, access.v4, access.v6, 2),
    access: end(isp, ACCESS_IF, access.v4, access.v6, 1),
    transit: end(isp, TRANSIT_IF, transit.v4, transit.v6, 2),
    inet: end("inet", isp, transit.v4, transit.v6, 1),
    subnets: { access: subnet(access.v4, access.v6), transit: subnet(transit.v4, transit.v6) },
    table: WAN_TABLE_BASE + n,
    nat,
    settings,
  };
}

/** Describes the topology without building it. */
export function describeWanTopology(opts: WanTopologyOptions = {}): WanTopology {
  const links = opts.links ?? PROFILE_A.links;
  if (links.length < 1 || links.length > MAX_WANS) {
    throw new RangeError(`WAN topology: want 1-${MAX_WANS} links, got ${links.length}`);
  }
  links.forEach((l, i) => checkLinkPatch(l, `links[${i}]`));
  const nat = opts.nat ?? false;
  if (Array.isArray(nat) && nat.length !== links.length) {
    throw new RangeError(`WAN topology: nat has ${nat.length} entries for ${links.length} links`);
  }
  const wans = links.map((l, i) => wanPlan(i + 1, l, Array.isArray(nat) ? nat[i] : nat));
  return {
    hosts: {
      lan: "lan",
      router: "router",
      inet: "inet",
      vps: "vps",
      srv: "srv",
      isps: wans.map((w) => w.isp),
    },
    lan: { eth0: end("lan", "eth0", "192.168.50.0", "fd50::", 2) },
    router: { lan: end("router", "lan0", "192.168.50.0", "fd50::", 1) },
    wans,
    inet: {
      vps: end("inet", "vps0", "203.0.113.0", "2001:db8:2::", 1),
      srv: end("inet", "srv0", "192.0.2.0", "2001:db8:3::", 1),
    },
    vps: { eth0: end("vps", "eth0", "203.0.113.0", "2001:db8:2::", 10) },
    srv: { eth0: end("srv", "eth0", "192.0.2.0", "2001:db8:3::", 10) },
    subnets: {
      lan: subnet("192.168.50.0", "fd50::"),
      vps: subnet("203.0.113.0", "2001:db8:2::"),
      srv: subnet("192.0.2.0", "2001:db8:3::"),
    },
    mtu: opts.mtu ?? 1500,
  };
}

/**
 * Waits until `from` gets an answer from its neighbour `to` over IPv4 and IPv6. A fresh veth
 * joins its IPv6 solicited-node groups only once the kernel has seen its carrier come up
 * (up to a second later), and a neighbour solicitation sent before that is lost and retried a
 * second later: the first packets through a just-built lab would see that second as delay.
 */
async function awaitNeighbour(lab: Lab, from: LinkEnd, to: LinkEnd): Promise<void> {
  for (const family of ["v4", "v6"] as const) {
    const argv = [
      "ping",
      family === "v4" ? "-4" : "-6",
      "-c",
      "1",
      "-W",
      "1",
      "-I",
      from.ifname,
      to[family],
    ];
    await waitFor(async () => (await lab.exec(from.host, argv)).code === 0, {
      timeoutMs: 5000,
      intervalMs: 100,
      what: `${from.host} ${from.ifname} reaching ${to.host} ${to[family]}`,
    });
  }
}

/** The router's routes and rules for one WAN (see the file comment). */
async function routeRouterWan(lab: Lab, w: WanPlan): Promise<void> {
  const host = w.router.host;
  const table = String(w.table);
  const priority = String(WAN_RULE_PRIORITY + w.index);
  for (const family of ["v4", "v6"] as const) {
    const flag = family === "v4" ? "-4" : "-6";
    const gateway = w.access[family];
    await lab.ip(host, [
      flag,
      "route",
      "add",
      w.subnets.access[family],
      "dev",
      w.name,
      "table",
      table,
    ]);
    await lab.ip(host, [
      flag,
      "route",
      "add",
      "default",
      "via",
      gateway,
      "dev",
      w.name,
      "table",
      table,
    ]);
    await lab.ip(host, [
      flag,
      "route",
      "add",
      "default",
      "via",
      gateway,
      "dev",
      w.name,
      "metric",
      String(WAN_METRIC_STEP * w.index),
    ]);
    await lab.ip(host, [
      flag,
      "rule",
      "add",
      "from",
      w.router[family],
      "lookup",
      table,
      "priority",
      priority,
    ]);
    await lab.ip(host, [flag, "rule", "add", "oif", w.name, "lookup", table, "priority", priority]);
  }
}

/** The internet's routes back to an ISP's customers (IPv4 only when not behind CGNAT). */
async function routeInetToIsp(lab: Lab, w: WanPlan): Promise<void> {
  if (!w.nat) await lab.addRoute("inet", w.subnets.access.v4, w.transit.v4);
  await lab.addRoute("inet", w.subnets.access.v6, w.transit.v6);
}

/**
 * Adds the hosts, links, routes, NATs and one running WAN emulator per link to `lab`. Emulators
 * are stopped and namespaces removed by `lab.destroy()`.
 */
export async function buildWanTopology(lab: Lab, opts: WanTopologyOptions = {}): Promise<WanLab> {
  const t = describeWanTopology(opts);
  const h = t.hosts;
  for (const host of [h.lan, h.router, ...h.isps, h.inet, h.vps, h.srv]) await lab.addHost(host);
  await join(lab, t.router.lan, t.lan.eth0, t.mtu);
  for (const w of t.wans) {
    await join(lab, w.router, w.access, t.mtu);
    await join(lab, w.transit, w.inet, t.mtu);
  }
  await join(lab, t.inet.vps, t.vps.eth0, t.mtu);
  await join(lab, t.inet.srv, t.srv.eth0, t.mtu);

  await lab.enableForwarding(h.router);
  await lab.enableForwarding(h.inet);
  // Replies to a WAN's address may arrive on another WAN than the main table's choice.
  await lab.sysctl(h.router, {
    "net.ipv4.conf.all.rp_filter": 0,
    "net.ipv4.conf.default.rp_filter": 0,
    ...Object.fromEntries(t.wans.map((w) => [`net.ipv4.conf.${w.name}.rp_filter`, 0])),
  });
  await defaultVia(lab, h.lan, t.router.lan);
  await defaultVia(lab, h.vps, t.inet.vps);
  await defaultVia(lab, h.srv, t.inet.srv);
  for (const w of t.wans) {
    await routeRouterWan(lab, w);
    await defaultVia(lab, w.isp, w.inet);
    await routeInetToIsp(lab, w);
    if (w.nat) {
      await enableCgnat(lab, w.isp, {
        accessIf: w.access.ifname,
        transitIf: w.transit.ifname,
        downTun: DOWN_TUN,
        accessSubnet: w.subnets.access.v4,
      });
    }
  }
  await Promise.all([
    awaitNeighbour(lab, t.lan.eth0, t.router.lan),
    awaitNeighbour(lab, t.vps.eth0, t.inet.vps),
    awaitNeighbour(lab, t.srv.eth0, t.inet.srv),
    ...t.wans.flatMap((
      w,
    ) => [awaitNeighbour(lab, w.router, w.access), awaitNeighbour(lab, w.transit, w.inet)]),
  ]);
  const emulators = await Promise.all(t.wans.map((w) =>
    startWanEmulator(lab, {
      name: w.name,
      host: w.isp,
      accessIf: w.access.ifname,
      transitIf: w.transit.ifname,
      mtu: t.mtu,
      settings: w.settings,
      seed: opts.seed === undefined ? undefined : opts.seed + w.index,
    })
  ));
  return {
    topology: t,
    emulators,
    wan(name: string): WanEmulator {
      const e = emulators.find((x) => x.name === name);
      if (!e) {
        throw new Error(`no WAN "${name}" (links: ${emulators.map((x) => x.name).join(", ")})`);
      }
      return e;
    },
  };
}
