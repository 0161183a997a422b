/**
 * `deno task bench tunnel`: in one run and one topology, iperf3 router → vps through the bare
 * underlay (veth), through Debian's wireguard-go, and through bond (crypto backend chosen
 * automatically, then the pure-JS fallback forced). For each:
 *   - one TCP flow for N seconds, after an unmeasured 2-s one (with --repeat, the median of
 *     several): Gbit/s, segments/s (bytes over the receiving interface's MSS: with offloads its
 *     packet counter counts super-packets, not segments), CPU seconds per GB of the tunnel
 *     daemons at both ends (from /proc/<pid>/stat), RSS of bond under load;
 *   - a UDP flood at the highest rate with < 1 % loss, found by search: Gbit/s, packets/s,
 *     CPU seconds per GB.
 * wireguard-go and bond run side by side, their TCP runs taking turns (with --repeat, the ratio
 * of each round is printed too). Then bond's ratios to wireguard-go and to the underlay.
 * Figures are printed, never asserted.
 * The underlay veths keep the kernel's offloads unless --wire-veths (see TunnelBenchOptions).
 * BOND_DATAPATH_OFFLOADS ("none" or a list of gso, gro, tun) reaches the bond daemons and the
 * row names, to measure what each offload gains.
 */
import { Lab } from "../tests/netns/harness/netns.ts";
import { buildTopology, type Topology } from "./topology.ts";
import { iperfTcp, iperfUdp, type TcpResult, type UdpResult } from "./iperf.ts";
import { REFERENCE_TUNNEL, referenceIfname, startReferenceTunnel } from "./wg_reference.ts";
import { BOND_TUNNEL, startBondPair } from "./bond_pair.ts";
import { OFFLOADS_ENV } from "../src/datapath/offloads.ts";
import { checkRepeat, median, medianBy } from "./bench_stats.ts";

export interface TunnelBenchOptions {
  /** Seconds of the TCP run. @default 5 */
  seconds?: number;
  /** Seconds of each UDP probe of the rate search. @default 3 */
  udpProbeSeconds?: number;
  /** Also measure bond with crypto.backend noble. @default true */
  noble?: boolean;
  /**
   * The underlay veths keep the kernel's checksum and segmentation offloads, their defaults
   * and what hosts with offloading NICs have (the reference figures were measured so);
   * false turns them off as on the WAN lab's emulated links. @default true
   */
  underlayOffloads?: boolean;
  /**
   * TCP runs per path; the table shows the median run and lists them all below it (runs on the
   * shared 2-vCPU host spread by ±30 %). @default 1
   */
  repeat?: number;
}

/** UDP payload: fits every tunnel's MTU of 1420 with IPv4 and UDP headers. */
const UDP_LENGTH = 1200;
/** Loss the rate search accepts. */
const MAX_LOSS_PERCENT = 1;
/** The search's first offered rate, and its ceiling. */
const UDP_START_MBPS = 200;
const UDP_MAX_MBPS = 10_000;
/** Probes per search: doubling up to the first loss, then bisecting. */
const UDP_PROBES = 7;
const CLOCK_TICKS_PER_SECOND = 100;
/** The unmeasured TCP flow before each path's measured one. */
const WARMUP_SECONDS = 2;

interface PathUnderTest {
  name: string;
  /** Address on the vps host that iperf3 listens on. */
  address: string;
  /** The vps interface the traffic arrives on (its MTU gives the MSS of segments/s). */
  receiveInterface: string;
  /** Daemons whose CPU is charged to this path (none for the bare underlay). */
  pids: number[];
  /** Daemons whose resident memory is reported. */
  rssPids: number[];
}

interface UdpFinding {
  result: UdpResult;
  offeredMbps: number;
  cpuSeconds: number | undefined;
}

interface Row {
  name: string;
  tcp: TcpResult;
  tcpSegmentsPerSecond: number;
  tcpCpuPerGB: number | undefined;
  rssMB: number | undefined;
  /** Every TCP run's rate, Gbit/s (the row shows the median run). */
  tcpRuns: number[];
  udp: UdpFinding;
}

/** User + system CPU seconds of a process (all its threads), from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

async function totalCpu(pids: number[]): Promise<number | undefined> {
  if (pids.length === 0) return undefined;
  let sum = 0;
  for (const pid of pids) sum += await cpuSeconds(pid);
  return sum;
}

/** Resident set size in MB, from /proc/<pid>/status. */
async function rssMB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** TCP payload per full segment on `ifname`: its MTU less IPv4, TCP and timestamp headers. */
async function mssOf(lab: Lab, host: string, ifname: string): Promise<number> {
  const out = await lab.ip(host, ["-j", "link", "show", "dev", ifname]);
  const [link] = JSON.parse(out) as { mtu: number }[];
  return link.mtu - 20 - 20 - 12;
}

type TcpRun = Omit<Row, "name" | "udp" | "tcpRuns">;

/**
 * The paths' TCP figures, the paths' tunnels all up at once: after an unmeasured warm-up of
 * each, `repeat` rounds of one run per path in turn, so that a spell of the shared host (its
 * CPU steal comes and goes within minutes) falls on every path alike rather than on one. Per
 * path: the median run by rate (each run's CPU and RSS stay with it) and every run's rate, in
 * round order.
 */
async function measureTcp(
  lab: Lab,
  topo: Topology,
  paths: PathUnderTest[],
  seconds: number,
  repeat: number,
): Promise<(TcpRun & { tcpRuns: number[] })[]> {
  const setups = await Promise.all(paths.map(async (path) => ({
    path,
    run: { server: topo.hosts.vps, client: topo.hosts.router, address: path.address, seconds },
    mss: await mssOf(lab, topo.hosts.vps, path.receiveInterface),
  })));
  // Start-up (a tunnel's first handshake, the JIT compiling bond's Workers) is not throughput.
  // Measured on bond, the first 5-s run after start was 10-25 % below the next ones.
  for (const s of setups) await iperfTcp(lab, { ...s.run, seconds: WARMUP_SECONDS });
  const runs: TcpRun[][] = setups.map(() => []);
  for (let i = 0; i < repeat; i++) {
    for (const [k, s] of setups.entries()) {
      runs[k].push(await measureTcpOnce(lab, s.path, s.run, s.mss));
    }
  }
  return runs.map((r) => ({
    ...medianBy(r, (x) => x.tcp.gbps),
    tcpRuns: r.map((x) => x.tcp.gbps),
  }));
}

async function measureTcpOnce(
  lab: Lab,
  path: PathUnderTest,
  run: { server: string; client: string; address: string; seconds: number },
  mss: number,
): Promise<TcpRun> {
  const cpuBefore = await totalCpu(path.pids);
  // RSS sampled in the middle of the run, when buffers and queues are at their fullest.
  let rss: number | undefined;
  const sampler = path.rssPids.length === 0 ? Promise.resolve() : (async () => {
    await new Promise((r) => setTimeout(r, (run.seconds * 1000) / 2));
    const values = await Promise.all(path.rssPids.map(rssMB));
    rss = Math.max(...values);
  })();
  const tcp = await iperfTcp(lab, run);
  await sampler;
  const cpuAfter = await totalCpu(path.pids);
  return {
    tcp,
    tcpSegmentsPerSecond: tcp.bytes / mss / tcp.seconds,
    tcpCpuPerGB: cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore!) / (tcp.bytes / 1e9),
    rssMB: rss,
  };
}

/**
 * The highest offered UDP rate that arrives with < 1 % loss: double, then bisect. A rate that
 * loses more is tried once more before it counts as too high: a single burst of loss (the
 * previous test's queues still draining) would otherwise cap the whole search below it.
 */
async function searchUdp(
  lab: Lab,
  topo: Topology,
  path: PathUnderTest,
  probeSeconds: number,
): Promise<UdpFinding> {
  let good: UdpFinding | undefined;
  let lowest: UdpFinding | undefined;
  let lo = 0;
  let hi = Infinity;
  let rate = UDP_START_MBPS;
  for (let probe = 0; probe < UDP_PROBES; probe++) {
    let finding = await probeUdp(lab, topo, path, probeSeconds, rate);
    if (finding.result.lossPercent >= MAX_LOSS_PERCENT) {
      finding = await probeUdp(lab, topo, path, probeSeconds, rate);
    }
    const result = finding.result;
    if (result.lossPercent < MAX_LOSS_PERCENT) {
      lo = rate;
      if (!good || result.gbps > good.result.gbps) good = finding;
    } else {
      hi = rate;
      if (!lowest || rate < lowest.offeredMbps) lowest = finding;
    }
    const next = hi === Infinity ? Math.min(rate * 2, UDP_MAX_MBPS) : Math.round((lo + hi) / 2);
    if (next === rate || (hi !== Infinity && hi - lo <= Math.max(10, lo * 0.1))) break;
    rate = next;
  }
  return good ?? lowest!;
}

async function probeUdp(
  lab: Lab,
  topo: Topology,
  path: PathUnderTest,
  seconds: number,
  rate: number,
): Promise<UdpFinding> {
  const cpuBefore = await totalCpu(path.pids);
  const result = await iperfUdp(lab, {
    server: topo.hosts.vps,
    client: topo.hosts.router,
    address: path.address,
    seconds,
    rateMbps: rate,
    length: UDP_LENGTH,
  });
  const cpuAfter = await totalCpu(path.pids);
  return {
    result,
    offeredMbps: rate,
    cpuSeconds: cpuAfter === undefined ? undefined : cpuAfter - cpuBefore!,
  };
}

function pidsOf(...processes: { pid: number }[]): number[] {
  return processes.map((p) => p.pid);
}

/** TCP of the paths together (see measureTcp), then each one's UDP rate search. */
async function measurePaths(
  lab: Lab,
  topo: Topology,
  paths: PathUnderTest[],
  o: Required<TunnelBenchOptions>,
): Promise<Row[]> {
  const runs = o.repeat > 1 ? ` × ${o.repeat}` : "";
  const names = paths.map((p) => p.name).join(paths.length > 2 ? ", " : " and ");
  const turns = paths.length > 1 ? " in turn" : "";
  console.log(`  ${names}: TCP ${o.seconds} s${runs}${turns}, then the UDP rate search`);
  const tcp = await measureTcp(lab, topo, paths, o.seconds, o.repeat);
  const rows: Row[] = [];
  for (const [k, path] of paths.entries()) {
    const udp = await searchUdp(lab, topo, path, o.udpProbeSeconds);
    rows.push({ name: path.name, ...tcp[k], udp });
  }
  return rows;
}

export async function runTunnelBench(opts: TunnelBenchOptions = {}): Promise<void> {
  const o: Required<TunnelBenchOptions> = {
    seconds: opts.seconds ?? 5,
    udpProbeSeconds: opts.udpProbeSeconds ?? 3,
    noble: opts.noble ?? true,
    underlayOffloads: opts.underlayOffloads ?? true,
    repeat: opts.repeat ?? 1,
  };
  checkRepeat("tunnel", o.repeat, opts.repeat);
  await using lab = await Lab.create("bench");
  const topo = await buildTopology(lab, { underlayOffloads: o.underlayOffloads });
  const rows: Row[] = [];
  console.log(
    `tunnel bench: iperf3 router → vps; one TCP flow for ${o.seconds} s; UDP (${UDP_LENGTH} B) ` +
      `at the highest rate with < ${MAX_LOSS_PERCENT} % loss (${o.udpProbeSeconds} s probes); ` +
      `underlay veths with checksum/TSO/GSO offloads ${o.underlayOffloads ? "on" : "off"}`,
  );

  rows.push(
    ...await measurePaths(lab, topo, [{
      name: "underlay (veth)",
      address: topo.vps.eth0.v4,
      receiveInterface: topo.vps.eth0.ifname,
      pids: [],
      rssPids: [],
    }], o),
  );

  // wireguard-go and bond (automatic backend) up together, their TCP runs taking turns.
  const wg = await startReferenceTunnel(lab, topo);
  try {
    const wgPath: PathUnderTest = {
      name: "wireguard-go",
      address: REFERENCE_TUNNEL.vps.v4,
      receiveInterface: referenceIfname(lab, "vps"),
      pids: pidsOf(wg.router.process, wg.vps.process),
      rssPids: [],
    };
    await withBond(lab, topo, "auto", async (bond) => {
      rows.push(...await measurePaths(lab, topo, [wgPath, bond], o));
    });
  } finally {
    await wg.stop();
  }
  if (o.noble) {
    await withBond(lab, topo, "noble", async (bond) => {
      rows.push(...await measurePaths(lab, topo, [bond], o));
    });
  }
  printTable(rows);
}

/** A bond pair with crypto backend `crypto`, as a path under test, for the time of `use`. */
async function withBond(
  lab: Lab,
  topo: Topology,
  crypto: string,
  use: (path: PathUnderTest) => Promise<void>,
): Promise<void> {
  // Tunnel routes only: the bench compares tunnels, not the full-tunnel routing.
  const pair = await startBondPair(lab, topo, { crypto, defaultRoute: false });
  try {
    const aead = /crypto=(\S+)/.exec(pair.router.log())?.[1] ?? crypto;
    const offloads = Deno.env.get(OFFLOADS_ENV);
    const pids = pidsOf(pair.router.process, pair.vps.process);
    await use({
      name: offloads === undefined ? `bond (${aead})` : `bond (${aead}, ${offloads})`,
      address: BOND_TUNNEL.vps.v4,
      receiveInterface: BOND_TUNNEL.interfaceName,
      pids,
      rssPids: pids,
    });
  } finally {
    await pair.stop();
  }
}

function printTable(rows: Row[]): void {
  const veth = rows[0];
  const wg = rows.find((r) => r.name === "wireguard-go")!;
  const num = (v: number | undefined, digits: number, width: number) =>
    (v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits)).padStart(width);
  const header = [
    "path".padEnd(18),
    "TCP Gb/s".padStart(9),
    "TCP seg/s".padStart(10),
    "TCP CPU s/GB".padStart(12),
    "UDP Gb/s".padStart(9),
    "UDP pkt/s".padStart(10),
    "loss".padStart(6),
    "UDP CPU s/GB".padStart(12),
    "RSS MB".padStart(7),
    "TCP/wg-go".padStart(9),
    "TCP/veth".padStart(8),
    "UDP/wg-go".padStart(9),
  ];
  console.log("");
  console.log(header.join(" "));
  for (const r of rows) {
    const udpGB = r.udp.result.bytes / 1e9;
    console.log([
      r.name.padEnd(18),
      num(r.tcp.gbps, 3, 9),
      num(r.tcpSegmentsPerSecond, 0, 10),
      num(r.tcpCpuPerGB, 2, 12),
      num(r.udp.result.gbps, 3, 9),
      num(r.udp.result.packetsPerSecond, 0, 10),
      (r.udp.result.lossPercent.toFixed(2) + "%").padStart(6),
      num(r.udp.cpuSeconds === undefined ? undefined : r.udp.cpuSeconds / udpGB, 2, 12),
      num(r.rssMB, 1, 7),
      num(r.tcp.gbps / wg.tcp.gbps, 2, 8) + "×",
      num(r.tcp.gbps / veth.tcp.gbps, 2, 7) + "×",
      num(r.udp.result.gbps / wg.udp.result.gbps, 2, 8) + "×",
    ].join(" "));
  }
  if (rows.some((r) => r.tcpRuns.length > 1)) {
    console.log("\nTCP runs, Gbit/s (the table shows each path's median run):");
    for (const r of rows) {
      console.log(`  ${r.name.padEnd(18)} ${r.tcpRuns.map((g) => g.toFixed(3)).join("  ")}`);
    }
    // wireguard-go and the first bond row took turns: each round's pair ran minutes apart at most.
    const bond = rows.find((r) => r.name.startsWith("bond"));
    if (bond !== undefined && bond.tcpRuns.length === wg.tcpRuns.length) {
      const ratios = bond.tcpRuns.map((g, i) => g / wg.tcpRuns[i]);
      console.log(
        `  ${bond.name} / wireguard-go, round by round: ` +
          `${ratios.map((x) => x.toFixed(2) + "×").join("  ")}; median ${
            median(ratios).toFixed(2)
          }×`,
      );
    }
  }
  console.log(
    "\nCPU s/GB: user+system seconds of the tunnel daemons at both ends per GB delivered " +
      "(the underlay has no daemon). RSS: the larger bond daemon, sampled mid-run.",
  );
}
