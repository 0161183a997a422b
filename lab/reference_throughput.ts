/**
 * The yardstick for tunnel throughput: iperf3 over a bare veth (router → inet, the underlay) and
 * over a stock wireguard-go tunnel (router → vps) on the same machine. `deno task bench tunnel`
 * prints these beside bond's own figures.
 */
import { Lab } from "../tests/netns/harness/netns.ts";
import { buildTopology, type Topology } from "./topology.ts";
import { iperfTcp, iperfUdp, type TcpResult, type UdpResult } from "./iperf.ts";
import { REFERENCE_TUNNEL, type ReferenceTunnel, startReferenceTunnel } from "./wg_reference.ts";

export interface ReferenceThroughputOptions {
  /** Length of each iperf3 run. @default 3 */
  seconds?: number;
  /** Offered UDP load. @default 500 */
  udpRateMbps?: number;
  /** UDP payload; must fit the tunnel MTU minus 28 bytes of IPv4 and UDP headers. @default 1200 */
  udpLength?: number;
}

export interface ReferenceThroughput {
  seconds: number;
  udpRateMbps: number;
  bareVethTcp: TcpResult;
  bareVethUdp: UdpResult;
  wireguardGoTcp: TcpResult;
  wireguardGoUdp: UdpResult;
}

/** Measures the bare underlay and the wireguard-go tunnel of an existing lab. */
export async function measureReferenceThroughput(
  lab: Lab,
  topo: Topology,
  tunnel: ReferenceTunnel,
  opts: ReferenceThroughputOptions = {},
): Promise<ReferenceThroughput> {
  const seconds = opts.seconds ?? 3;
  const udpRateMbps = opts.udpRateMbps ?? 500;
  const length = opts.udpLength ?? 1200;
  const bare = { server: topo.hosts.inet, client: topo.hosts.router, address: topo.inet.router.v4 };
  const wg = {
    server: tunnel.vps.host,
    client: tunnel.router.host,
    address: REFERENCE_TUNNEL.vps.v4,
  };
  return {
    seconds,
    udpRateMbps,
    bareVethTcp: await iperfTcp(lab, { ...bare, seconds }),
    bareVethUdp: await iperfUdp(lab, { ...bare, seconds, rateMbps: udpRateMbps, length }),
    wireguardGoTcp: await iperfTcp(lab, { ...wg, seconds }),
    wireguardGoUdp: await iperfUdp(lab, { ...wg, seconds, rateMbps: udpRateMbps, length }),
  };
}

/** Builds its own lab (topology + wireguard-go tunnel), measures, and tears it down. */
export async function benchReferenceThroughput(
  opts: ReferenceThroughputOptions = {},
): Promise<ReferenceThroughput> {
  await using lab = await Lab.create("bench");
  const topo = await buildTopology(lab);
  const tunnel = await startReferenceTunnel(lab, topo);
  return await measureReferenceThroughput(lab, topo, tunnel, opts);
}

/** Human-readable lines, one per measurement. */
export function formatReferenceThroughput(r: ReferenceThroughput): string[] {
  const tcp = (name: string, t: TcpResult) =>
    `${name.padEnd(22)} TCP ${t.gbps.toFixed(3)} Gbit/s  (${t.retransmits} retransmits)`;
  const udp = (name: string, u: UdpResult) =>
    `${name.padEnd(22)} UDP ${u.gbps.toFixed(3)} Gbit/s of ${r.udpRateMbps} Mbit/s offered, ` +
    `loss ${u.lossPercent.toFixed(2)} %, ${Math.round(u.packetsPerSecond)} packets/s`;
  return [
    `iperf3, ${r.seconds} s per run, one stream`,
    tcp("bare veth router→inet", r.bareVethTcp),
    udp("bare veth router→inet", r.bareVethUdp),
    tcp("wireguard-go tunnel", r.wireguardGoTcp),
    udp("wireguard-go tunnel", r.wireguardGoUdp),
  ];
}
