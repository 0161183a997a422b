/**
 * The small dual-stack lab: one WAN, no emulation.
 *
 * ```
 *  lan ──lan0── router ──wan1── inet ──vps0── vps
 *                                    ──srv0── srv
 * ```
 *
 * - lan—router   192.168.50.0/24, fd50::/64        (the LAN behind the router)
 * - router—inet  198.51.100.0/24, 2001:db8:1::/64  (the router's WAN, its underlay)
 * - inet—vps     203.0.113.0/24,  2001:db8:2::/64  (the VPS's public address)
 * - inet—srv     192.0.2.0/24,    2001:db8:3::/64  (a public server)
 *
 * router, vps and srv have default routes via inet; lan via router. inet, router and vps
 * forward. inet has no route to the LAN: LAN traffic reaches the internet only through a tunnel
 * to the VPS, as in the field.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import {
  defaultRoutesVia as defaultVia,
  endIn,
  joinEnds as join,
  type LinkEnd,
  type Subnet,
  subnetOf,
} from "./lab_addressing.ts";

export type { LinkEnd, Subnet };

export interface Topology {
  hosts: { lan: string; router: string; inet: string; vps: string; srv: string };
  lan: { eth0: LinkEnd };
  router: { lan: LinkEnd; wan: LinkEnd };
  inet: { router: LinkEnd; vps: LinkEnd; srv: LinkEnd };
  vps: { eth0: LinkEnd };
  srv: { eth0: LinkEnd };
  subnets: { lan: Subnet; wan: Subnet; vps: Subnet; srv: Subnet };
  /** Every link's MTU. */
  mtu: number;
}

export interface TopologyOptions {
  /** @default 1500 */
  mtu?: number;
  /**
   * The underlay links (router—inet—vps/srv) keep the kernel's checksum and segmentation
   * offloads, as hosts with offloading NICs do; the LAN link never does (the router's TCP split
   * and TUN take its frames). @default false
   */
  underlayOffloads?: boolean;
}

interface SubnetPlan {
  v4: string;
  v6: string;
}

const PLAN = {
  lan: { v4: "192.168.50.0", v6: "fd50::" },
  wan: { v4: "198.51.100.0", v6: "2001:db8:1::" },
  vps: { v4: "203.0.113.0", v6: "2001:db8:2::" },
  srv: { v4: "192.0.2.0", v6: "2001:db8:3::" },
} as const satisfies Record<string, SubnetPlan>;

function subnet(plan: SubnetPlan): Subnet {
  return subnetOf(plan.v4, plan.v6);
}

function end(host: string, ifname: string, plan: SubnetPlan, hostNumber: number): LinkEnd {
  return endIn(host, ifname, plan.v4, plan.v6, hostNumber);
}

/** Describes the topology without building it (addresses are fixed by design). */
export function describeTopology(opts: TopologyOptions = {}): Topology {
  return {
    hosts: { lan: "lan", router: "router", inet: "inet", vps: "vps", srv: "srv" },
    lan: { eth0: end("lan", "eth0", PLAN.lan, 2) },
    router: { lan: end("router", "lan0", PLAN.lan, 1), wan: end("router", "wan1", PLAN.wan, 2) },
    inet: {
      router: end("inet", "rtr1", PLAN.wan, 1),
      vps: end("inet", "vps0", PLAN.vps, 1),
      srv: end("inet", "srv0", PLAN.srv, 1),
    },
    vps: { eth0: end("vps", "eth0", PLAN.vps, 10) },
    srv: { eth0: end("srv", "eth0", PLAN.srv, 10) },
    subnets: {
      lan: subnet(PLAN.lan),
      wan: subnet(PLAN.wan),
      vps: subnet(PLAN.vps),
      srv: subnet(PLAN.srv),
    },
    mtu: opts.mtu ?? 1500,
  };
}

/** Adds the five hosts, their links, forwarding and default routes to `lab`. */
export async function buildTopology(lab: Lab, opts: TopologyOptions = {}): Promise<Topology> {
  const t = describeTopology(opts);
  for (const host of Object.values(t.hosts)) await lab.addHost(host);
  const offloads = opts.underlayOffloads ?? false;
  await join(lab, t.router.lan, t.lan.eth0, t.mtu);
  await join(lab, t.router.wan, t.inet.router, t.mtu, offloads);
  await join(lab, t.inet.vps, t.vps.eth0, t.mtu, offloads);
  await join(lab, t.inet.srv, t.srv.eth0, t.mtu, offloads);
  for (const host of [t.hosts.router, t.hosts.inet, t.hosts.vps]) await lab.enableForwarding(host);
  await defaultVia(lab, t.hosts.lan, t.router.lan);
  await defaultVia(lab, t.hosts.router, t.inet.router);
  await defaultVia(lab, t.hosts.vps, t.inet.vps);
  await defaultVia(lab, t.hosts.srv, t.inet.srv);
  return t;
}
