/**
 * `deno task bench bonding [SECONDS] [--profiles A,B,C]`: bond over the three-WAN lab with the
 * userspace WAN emulators, per profile (lab/wan/profiles.ts), a fresh lab and pair each:
 *   - one TCP flow LAN → srv (upload) and srv → LAN (download, iperf3 -R);
 *   - 8 parallel TCP flows upload;
 *     with `repeat` > 1 each TCP figure is the median of that many runs, its range beside it
 *     (a single flow over paths of unequal delay swings by ±10 points from run to run);
 *   - UDP upload offered at 90% of the links' sum: loss;
 *   - failover: pings every 10 ms LAN → srv while a TCP transfer runs; the fastest link is
 *     blackholed: the longest gap between replies, and whether the transfer still completes
 *     byte-exact; then the link restored: time until it is back in service;
 *   - a bulk upload through the same cut: the server's longest stall and rate after it
 *     (lab/bulk_failover.ts);
 *   - redundant mode (a new pair) with 5% random loss on every link: UDP loss;
 *   - idle latency: median RTT router → VPS through the tunnel against the fastest link's,
 *     both pinged at once (and their 90th percentiles).
 * Each throughput is printed beside the best single link's rate and the links' sum (the
 * emulated rates, IP bytes), and TCP also against the tunnel's ceiling: the sum times the TCP
 * payload each link datagram can carry (1368 of 1480 bytes at the tunnel MTU of 1420, IPv4 with
 * TCP timestamps), what a perfect bonding tunnel would deliver. Figures are printed, never
 * asserted. BOND_BENCH_DEBUG=1 also prints, after each TCP and UDP step, what the data paths
 * counted meanwhile (scheduler drops, reorder outcomes) and the path changes after the failover.
 */
import { Lab } from "../tests/netns/harness/netns.ts";
import { waitFor } from "../tests/netns/harness/wait_for.ts";
import { buildWanTopology, type WanLab, type WanTopology } from "./topology_wan.ts";
import { BOND_TUNNEL, type BondPair, startBondPair, wanLinks } from "./bond_pair.ts";
import { bondCli } from "./bond_cli.ts";
import { iperfTcp, iperfUdp } from "./iperf.ts";
import { tcpTransfer } from "./transfer.ts";
import { measureBulkFailover } from "./bulk_failover.ts";
import { iperfUdpWithLoss } from "./lossy_udp.ts";
import { checkRepeat, median, percentile } from "./bench_stats.ts";
import { profileNamed, profileSumMbps, type WanProfile } from "./wan/profiles.ts";

/** TCP payload per link datagram: inner MTU 1420 less IPv4, TCP and timestamps, of 1480 bytes. */
const TUNNEL_TCP_EFFICIENCY = (1420 - 52) / (1420 + 32 + 28);
const DEBUG = Deno.env.get("BOND_BENCH_DEBUG") !== undefined;
/** The data-path counters that explain a throughput figure (printed with BOND_BENCH_DEBUG). */
const EXPLAINING = [
  "txSchedulerDrops",
  "txNoUsablePath",
  "txDroppedSocketFull",
  "rxReorderLost",
  "rxReorderLate",
  "rxReorderLateReleased",
  "rxReorderOverflows",
  "rxReorderMaxBuffered",
  "rxReorderExtraMs",
];
const LEVELS = new Set(["rxReorderMaxBuffered", "rxReorderExtraMs"]);

export interface BondingBenchOptions {
  /** Seconds of each iperf3 run. @default 5 */
  seconds?: number;
  /** Profile names. @default ["A", "B", "C"] */
  profiles?: string[];
  /** Runs of each TCP measurement; the median is printed, with the range. @default 1 */
  repeat?: number;
}

/** Pings at `intervalMs` for `count` replies' worth; returns each reply's arrival (ms). */
async function pingTimes(
  lab: Lab,
  host: string,
  address: string,
  count: number,
  intervalMs: number,
  device?: string,
): Promise<{ times: number[]; rtts: number[] }> {
  const argv = ["ping", "-4", "-D", "-n", "-c", String(count), "-i", String(intervalMs / 1000)];
  if (device) argv.push("-I", device);
  const r = await lab.exec(host, [...argv, "-W", "1", address], {
    timeoutMs: count * intervalMs + 15_000,
  });
  const times: number[] = [];
  const rtts: number[] = [];
  for (const m of r.stdout.matchAll(/^\[(\d+\.\d+)\].*time=([\d.]+) ms/gm)) {
    times.push(Number(m[1]) * 1000);
    rtts.push(Number(m[2]));
  }
  return { times, rtts };
}

function rates(profile: WanProfile, direction: "up" | "down"): number[] {
  return profile.links.map((l) => l[direction]?.rateMbps ?? 0);
}

async function routerStatus(lab: Lab, host: string, pair: BondPair) {
  const r = await bondCli(lab, host, ["status", "--json", "-config", pair.router.configPath]);
  return JSON.parse(r.stdout) as {
    links: { name: string; state: string }[];
    tcp_split: { state: string };
  };
}

async function counters(lab: Lab, host: string, configPath: string) {
  const r = await bondCli(lab, host, ["status", "--json", "-config", configPath]);
  return r.code === 0 ? JSON.parse(r.stdout).counters as Record<string, number> : {};
}

/** Runs `measure`; with BOND_BENCH_DEBUG, prints the explaining counters it moved on both ends. */
async function explained<T>(
  lab: Lab,
  topo: WanTopology,
  pair: BondPair,
  measure: () => Promise<T>,
): Promise<T> {
  if (!DEBUG) return await measure();
  const ends = [["router", topo.hosts.router, pair.router.configPath], [
    "vps",
    topo.hosts.vps,
    pair.vps.configPath,
  ]] as const;
  const before = await Promise.all(ends.map(([, host, path]) => counters(lab, host, path)));
  const result = await measure();
  const after = await Promise.all(ends.map(([, host, path]) => counters(lab, host, path)));
  ends.forEach(([name], i) => {
    const moved = EXPLAINING.flatMap((k) => {
      const now = after[i][k] ?? 0;
      // Levels (high-water marks, the added timeout) are shown as they are; counts as deltas.
      if (LEVELS.has(k)) return now > 0 ? [`${k} ${now}`] : [];
      const delta = now - (before[i][k] ?? 0);
      return delta !== 0 ? [`${k} +${delta}`] : [];
    });
    console.error(`    ${name}: ${moved.length > 0 ? moved.join(", ") : "nothing"}`);
  });
  return result;
}

async function startPair(
  lab: Lab,
  topo: WanTopology,
  scheduler?: "redundant",
): Promise<BondPair> {
  const pair = await startBondPair(lab, topo, { links: wanLinks(topo.wans), scheduler });
  await waitFor(async () => {
    const r = await lab.exec(topo.hosts.lan, ["ping", "-c", "1", "-W", "1", topo.srv.eth0.v4]);
    return r.code === 0;
  }, { timeoutMs: 15_000, intervalMs: 200, what: "tunnel up" });
  await waitFor(async () => {
    const s = await routerStatus(lab, topo.hosts.router, pair);
    // The TCP split starts with the VPS's first offer: measure TCP once it has settled.
    return s.links.every((l) => l.state === "up") && s.tcp_split.state !== "waiting";
  }, { timeoutMs: 10_000, intervalMs: 200, what: "every link up, TCP split settled" });
  return pair;
}

async function measureFailover(
  lab: Lab,
  wanLab: WanLab,
  pair: BondPair,
): Promise<{ gapMs: number; intact: boolean; readmitMs: number }> {
  const topo = wanLab.topology;
  const h = topo.hosts;
  const fastest = topo.wans[0].name;
  // Paced so it lasts through the cut and the restore (about 9 s).
  const transfer = tcpTransfer(lab, {
    from: h.lan,
    to: h.srv,
    address: topo.srv.eth0.v4,
    bytes: 16 << 20,
    mbps: 15,
    timeoutMs: 60_000,
  }).then(
    (r) => r.received.bytes === r.sent.bytes && r.received.sha256 === r.sent.sha256,
    (err) => {
      console.error(`  failover transfer: ${(err as Error).message}`);
      return false;
    },
  );
  const pings = pingTimes(lab, h.lan, topo.srv.eth0.v4, 400, 10);
  await new Promise((r) => setTimeout(r, 1500));
  await wanLab.wan(fastest).command(["down"]);
  const { times } = await pings;
  if (DEBUG) {
    for (const [who, text] of [["router", pair.router.log()], ["vps", pair.vps.log()]]) {
      for (const l of text.split("\n").filter((l) => / path \S+: /.test(l))) {
        console.error(`  ${who}: ${l}`);
      }
    }
  }
  let gapMs = 0;
  for (let i = 1; i < times.length; i++) gapMs = Math.max(gapMs, times[i] - times[i - 1]);
  const restoredAt = performance.now();
  await wanLab.wan(fastest).command(["up"]);
  let readmitMs = NaN;
  await waitFor(async () => {
    const s = await routerStatus(lab, h.router, pair);
    if (s.links[0].state !== "up") return false;
    readmitMs = performance.now() - restoredAt;
    return true;
  }, { timeoutMs: 20_000, intervalMs: 50, what: "link back in service" }).catch(() => {});
  return { gapMs, intact: await transfer, readmitMs };
}

/**
 * Runs one measurement and prints its line; a failure is printed, with what each WAN emulator
 * last said (a stalled or dead emulator explains most failures), and the bench goes on.
 */
async function step(
  label: string,
  measure: () => Promise<string>,
  wanLab?: WanLab,
): Promise<void> {
  try {
    console.log(`  ${label.padEnd(34)} ${await measure()}`);
  } catch (err) {
    console.log(`  ${label.padEnd(34)} failed: ${(err as Error).message.split("\n")[0]}`);
    for (const e of wanLab?.emulators ?? []) {
      const said = e.process.stderr().trim().split("\n").slice(-3).join(" | ");
      const state = e.process.exited ? `exited ${e.process.exited.code}` : "running";
      console.error(`    ${e.name} emulator ${state}${said ? `: ${said}` : ""}`);
    }
  }
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(0)}%` : "-";
}

async function benchProfile(
  profile: WanProfile,
  seconds: number,
  repeat: number,
): Promise<void> {
  await using lab = await Lab.create("bbench");
  const wanLab = await buildWanTopology(lab, { links: profile.links, nat: true });
  const topo = wanLab.topology;
  const h = topo.hosts;
  const srv = topo.srv.eth0.v4;
  const run = { server: h.srv, client: h.lan, address: srv, seconds };
  const sum = { up: profileSumMbps(profile, "up"), down: profileSumMbps(profile, "down") };
  const best = { up: Math.max(...rates(profile, "up")), down: Math.max(...rates(profile, "down")) };
  console.log(`\nProfile ${profile.name}: ${profile.description}`);
  const versus = (runs: number[], dir: "up" | "down") => {
    const mbps = median(runs);
    const range = runs.length > 1
      ? ` [${Math.min(...runs).toFixed(1)}–${Math.max(...runs).toFixed(1)}, ${runs.length} runs]`
      : "";
    return `${mbps.toFixed(1).padStart(6)} Mbit/s${range}  (best link ${best[dir]}, sum ` +
      `${sum[dir]}: ${pct(mbps, best[dir])} of best, ${pct(mbps, sum[dir])} of sum, ` +
      `${pct(mbps, sum[dir] * TUNNEL_TCP_EFFICIENCY)} of the tunnel's ceiling ` +
      `${(sum[dir] * TUNNEL_TCP_EFFICIENCY).toFixed(1)})`;
  };
  /** Mbit/s of each of `repeat` runs. */
  const tcp = async (r: typeof run & { reverse?: boolean; parallel?: number }) => {
    const runs: number[] = [];
    for (let i = 0; i < repeat; i++) {
      runs.push((await explained(lab, topo, pair, () => iperfTcp(lab, r))).gbps * 1000);
    }
    return runs;
  };

  let pair = await startPair(lab, topo);
  await step(
    "1 TCP flow up (LAN → srv)",
    async () => versus(await tcp(run), "up"),
    wanLab,
  );
  await step(
    "1 TCP flow down (srv → LAN)",
    async () => versus(await tcp({ ...run, reverse: true }), "down"),
    wanLab,
  );
  await step(
    "8 TCP flows up",
    async () => versus(await tcp({ ...run, parallel: 8 }), "up"),
    wanLab,
  );
  await step("UDP up at 90% of the sum", async () => {
    const udp = await explained(
      lab,
      topo,
      pair,
      () => iperfUdp(lab, { ...run, rateMbps: 0.9 * sum.up }),
    );
    return `${(0.9 * sum.up).toFixed(1)} Mbit/s offered, ${(udp.gbps * 1000).toFixed(1)} ` +
      `arrived, ${udp.lossPercent.toFixed(2)}% loss`;
  }, wanLab);
  await step("idle RTT router → VPS", async () => {
    await new Promise((r) => setTimeout(r, 1000));
    // Both at once, half an interval apart: this 2-vCPU host's scheduling delays come and go
    // by the second, and measured one after the other they land on one side or the other.
    const [tunnel, underlay] = await Promise.all([
      pingTimes(lab, h.router, BOND_TUNNEL.vps.v4, 60, 100),
      new Promise((r) => setTimeout(r, 50)).then(() =>
        pingTimes(lab, h.router, topo.vps.eth0.v4, 60, 100, topo.wans[0].name)
      ),
    ]);
    const [t50, u50] = [median(tunnel.rtts), median(underlay.rtts)];
    return `tunnel ${t50.toFixed(2)} ms, fastest link ${u50.toFixed(2)} ms, added ` +
      `${(t50 - u50).toFixed(2)} ms (90th percentiles ${percentile(tunnel.rtts, 0.9).toFixed(2)}` +
      ` and ${percentile(underlay.rtts, 0.9).toFixed(2)} ms)`;
  }, wanLab);
  await step("failover (fastest link cut)", async () => {
    const f = await measureFailover(lab, wanLab, pair);
    return `longest gap between 10 ms pings ${f.gapMs.toFixed(0)} ms; TCP transfer ` +
      `${f.intact ? "completed byte-exact" : "FAILED"}; link back in service ` +
      `${Number.isNaN(f.readmitMs) ? "not within 20 s" : `${f.readmitMs.toFixed(0)} ms`} ` +
      "after restore";
  }, wanLab);
  await step("bulk TCP up through the cut", async () => {
    const b = await measureBulkFailover(lab, wanLab);
    const left = sum.up - best.up;
    return `longest stall at srv ${b.stallMs.toFixed(0)} ms; ${b.afterMbps.toFixed(1)} Mbit/s ` +
      `1-5 s after the cut (the other links: ${left}); ` +
      (b.intact ? `done in ${b.seconds.toFixed(1)} s, byte-exact` : "transfer FAILED");
  }, wanLab);
  await pair.stop();

  // Redundant mode on lossy links: a new pair, 5% random loss on every link both ways.
  await step("redundant mode, 5% loss per link", async () => {
    pair = await startPair(lab, topo, "redundant");
    try {
      const rate = Math.min(5, Math.min(...rates(profile, "up")) / 2);
      const udp = await iperfUdpWithLoss(lab, wanLab.emulators, 5, { ...run, rateMbps: rate });
      return `UDP at ${rate} Mbit/s: ${udp.lossPercent.toFixed(2)}% loss (one link alone: 5%)`;
    } finally {
      await pair.stop();
    }
  }, wanLab);
}

export async function runBondingBench(opts: BondingBenchOptions = {}): Promise<void> {
  const seconds = opts.seconds ?? 5;
  const repeat = opts.repeat ?? 1;
  checkRepeat("bonding", repeat, opts.repeat);
  for (const name of opts.profiles ?? ["A", "B", "C"]) {
    const profile = profileNamed(name);
    console.log(`bench bonding: profile ${profile.name} ...`);
    await benchProfile(profile, seconds, repeat);
  }
}
