/**
 * `deno task bench tunnel`: in one run and one topology, a single TCP flow and a UDP flood
 * (iperf3, router → vps) through the bare underlay, through Debian's wireguard-go, and through
 * bond (with the crypto backend chosen automatically, and with the pure-JS fallback forced),
 * printed side by side with bond's ratio to wireguard-go and to the underlay.
 */
import { Lab } from "../tests/netns/harness/netns.ts";
import { buildTopology, type Topology } from "./topology.ts";
import { iperfTcp, iperfUdp, type TcpResult, type UdpResult } from "./iperf.ts";
import { REFERENCE_TUNNEL, startReferenceTunnel } from "./wg_reference.ts";
import { BOND_TUNNEL, startBondPair } from "./bond_pair.ts";

export interface TunnelBenchOptions {
  /** Seconds per iperf3 run. @default 5 */
  seconds?: number;
  /** Offered UDP rate. @default 500 */
  udpRateMbps?: number;
  /** Also measure bond with crypto.backend noble. @default true */
  noble?: boolean;
}

interface Row {
  name: string;
  tcp: TcpResult;
  udp: UdpResult;
}

async function measure(
  lab: Lab,
  topo: Topology,
  name: string,
  server: string,
  address: string,
  o: Required<TunnelBenchOptions>,
): Promise<Row> {
  const run = { server, client: topo.hosts.router, address, seconds: o.seconds };
  const tcp = await iperfTcp(lab, run);
  const udp = await iperfUdp(lab, { ...run, rateMbps: o.udpRateMbps, length: 1200 });
  return { name, tcp, udp };
}

export async function runTunnelBench(opts: TunnelBenchOptions = {}): Promise<void> {
  const o = {
    seconds: opts.seconds ?? 5,
    udpRateMbps: opts.udpRateMbps ?? 500,
    noble: opts.noble ?? true,
  };
  await using lab = await Lab.create("bench");
  const topo = await buildTopology(lab);
  const rows: Row[] = [];
  console.log(
    `tunnel bench: iperf3 router → vps, one TCP stream and UDP at ${o.udpRateMbps} Mbit/s, ${o.seconds} s each`,
  );

  rows.push(await measure(lab, topo, "underlay (veth)", topo.hosts.vps, topo.vps.eth0.v4, o));

  const wg = await startReferenceTunnel(lab, topo);
  try {
    rows.push(await measure(lab, topo, "wireguard-go", topo.hosts.vps, REFERENCE_TUNNEL.vps.v4, o));
  } finally {
    await wg.stop();
  }

  for (const crypto of o.noble ? ["auto", "noble"] : ["auto"]) {
    // Tunnel routes only: the bench compares tunnels, not the full-tunnel routing.
    const pair = await startBondPair(lab, topo, { crypto, defaultRoute: false });
    try {
      const aead = /crypto=(\w+)/.exec(pair.router.log())?.[1] ?? crypto;
      rows.push(await measure(lab, topo, `bond (${aead})`, topo.hosts.vps, BOND_TUNNEL.vps.v4, o));
    } finally {
      await pair.stop();
    }
  }

  const wgRow = rows.find((r) => r.name === "wireguard-go")!;
  const veth = rows[0];
  console.log("");
  console.log(
    `${"path".padEnd(18)} ${"TCP Gbit/s".padStart(10)} ${"UDP Gbit/s".padStart(10)} ${
      "UDP loss".padStart(8)
    } ${"UDP pkt/s".padStart(10)}  ${"TCP vs wg-go".padStart(12)} ${"TCP vs veth".padStart(11)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(18)} ${r.tcp.gbps.toFixed(3).padStart(10)} ${
        r.udp.gbps.toFixed(3).padStart(10)
      } ${(r.udp.lossPercent.toFixed(2) + "%").padStart(8)} ${
        Math.round(r.udp.packetsPerSecond).toString().padStart(10)
      }  ${(r.tcp.gbps / wgRow.tcp.gbps).toFixed(2).padStart(11)}× ${
        (r.tcp.gbps / veth.tcp.gbps).toFixed(2).padStart(10)
      }×`,
    );
  }
}
