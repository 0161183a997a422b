/**
 * The small lab (lab/topology.ts) grown into a VPS edge with three peers: a second router with
 * its own LAN, and a phone (a stock WireGuard client) straight on the internet.
 *
 * ```
 *  lan  ──lan0── router ──wan1──┐
 *  lan2 ──lan0── r2     ──wan1── inet ──vps0── vps
 *                phone  ──eth0──┘    ──srv0── srv
 * ```
 *
 * - lan2—r2     192.168.60.0/24, fd60::/64          (the second router's LAN)
 * - r2—inet     198.51.101.0/24, 2001:db8:11::/64   (its WAN)
 * - phone—inet  198.51.102.0/24, 2001:db8:12::/64   (a phone on some network)
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import { buildTopology, type LinkEnd, type Topology } from "./topology.ts";

export interface EdgeTopology extends Topology {
  edgeHosts: { lan2: string; r2: string; phone: string };
  lan2: { eth0: LinkEnd };
  r2: { lan: LinkEnd; wan: LinkEnd };
  phone: { eth0: LinkEnd };
  edgeSubnets: { lan2: { v4: string; v6: string } };
}

function end(host: string, ifname: string, v4: string, v6: string): LinkEnd {
  return { host, ifname, v4, v6 };
}

async function join(lab: Lab, a: LinkEnd, b: LinkEnd, mtu: number): Promise<void> {
  await lab.link(a.host, b.host, {
    ifA: a.ifname,
    ifB: b.ifname,
    addrA: [`${a.v4}/24`, `${a.v6}/64`],
    addrB: [`${b.v4}/24`, `${b.v6}/64`],
    mtu,
  });
}

export async function buildEdgeTopology(lab: Lab): Promise<EdgeTopology> {
  const base = await buildTopology(lab);
  const t: EdgeTopology = {
    ...base,
    edgeHosts: { lan2: "lan2", r2: "r2", phone: "phone" },
    lan2: { eth0: end("lan2", "eth0", "192.168.60.2", "fd60::2") },
    r2: {
      lan: end("r2", "lan0", "192.168.60.1", "fd60::1"),
      wan: end("r2", "wan1", "198.51.101.2", "2001:db8:11::2"),
    },
    phone: { eth0: end("phone", "eth0", "198.51.102.2", "2001:db8:12::2") },
    edgeSubnets: { lan2: { v4: "192.168.60.0/24", v6: "fd60::/64" } },
  };
  for (const host of Object.values(t.edgeHosts)) await lab.addHost(host);
  const inetR2 = end("inet", "rtr2", "198.51.101.1", "2001:db8:11::1");
  const inetPhone = end("inet", "phn0", "198.51.102.1", "2001:db8:12::1");
  await join(lab, t.r2.lan, t.lan2.eth0, t.mtu);
  await join(lab, t.r2.wan, inetR2, t.mtu);
  await join(lab, t.phone.eth0, inetPhone, t.mtu);
  await lab.enableForwarding(t.edgeHosts.r2);
  const defaults: [string, LinkEnd][] = [["lan2", t.r2.lan], ["r2", inetR2], ["phone", inetPhone]];
  for (const [host, gateway] of defaults) {
    await lab.addDefaultRoute(host, gateway.v4);
    await lab.addDefaultRoute(host, gateway.v6);
  }
  return t;
}
