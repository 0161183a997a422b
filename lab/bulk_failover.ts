/**
 * A bulk upload (LAN → srv, as fast as TCP goes) through a cut of the fastest link, as the
 * receiving server sees it: the longest time no new byte arrived after the cut, and the rate in
 * the four seconds from one second after it (while it lasts). Pings (the bonding bench's failover step) show when
 * the tunnel carries packets again; this shows what a TCP connection busy at the time lives
 * through (its data in flight on the dead link lost, its congestion control's view stale).
 * The link is restored afterwards.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import type { WanLab } from "./topology_wan.ts";
import { tcpTransfer } from "./transfer.ts";

export interface BulkFailover {
  /** Longest time without new bytes at the server after the cut, ms. */
  stallMs: number;
  /** Mbit/s the server received from 1 s to 5 s after the cut. */
  afterMbps: number;
  /** The whole transfer's duration, s (NaN if it failed). */
  seconds: number;
  /** Byte-exact. */
  intact: boolean;
}

/** Bytes the server has received on its established connection (-1: none open). */
async function received(lab: Lab, host: string, address: string): Promise<number> {
  const r = await lab.exec(host, ["ss", "-tinH", "state", "established", "src", address]);
  const all = [...r.stdout.matchAll(/bytes_received:(\d+)/g)].map((m) => Number(m[1]));
  return all.length === 0 ? -1 : Math.max(...all);
}

export async function measureBulkFailover(
  lab: Lab,
  wanLab: WanLab,
  bytes = 32 << 20,
  cutAfterMs = 1500,
): Promise<BulkFailover> {
  const topo = wanLab.topology;
  const srv = topo.srv.eth0.v4;
  const fastest = wanLab.wan(topo.wans[0].name);
  let finished = false;
  const transfer = tcpTransfer(lab, {
    from: topo.hosts.lan,
    to: topo.hosts.srv,
    address: srv,
    bytes,
    timeoutMs: 60_000,
  }).then(
    (r) => r,
    (err: Error) => err,
  ).finally(() => finished = true);
  const samples: [number, number][] = [];
  try {
    await new Promise((r) => setTimeout(r, cutAfterMs));
    await fastest.command(["down"]);
    const cut = performance.now();
    // Sampled until the transfer ends (30 s at most): ss itself takes ~10 ms.
    while (!finished && performance.now() - cut < 30_000) {
      const b = await received(lab, topo.hosts.srv, srv);
      if (b >= 0) samples.push([performance.now() - cut, b]);
    }
  } finally {
    await fastest.command(["up"]);
  }
  const r = await transfer;
  let stallMs = 0, lastAt = 0, last = samples[0]?.[1] ?? 0;
  for (const [t, b] of samples) {
    if (b === last) continue;
    stallMs = Math.max(stallMs, t - lastAt);
    [lastAt, last] = [t, b];
  }
  // The end of the last run of samples counts too: a transfer that stalls to its end.
  if (samples.length > 0) stallMs = Math.max(stallMs, samples[samples.length - 1][0] - lastAt);
  // From 1 s to 5 s after the cut, or to the last sample if the transfer ended before.
  const at = (t: number) => samples.find(([s]) => s >= t)?.[1] ?? last;
  const end = Math.min(5000, samples[samples.length - 1]?.[0] ?? 0);
  const afterMbps = end > 1000 ? (at(end) - at(1000)) * 8 / ((end - 1000) * 1000) : NaN;
  if (r instanceof Error) return { stallMs, afterMbps, seconds: NaN, intact: false };
  const intact = r.received.bytes === bytes && r.received.sha256 === r.sent.sha256;
  return { stallMs, afterMbps, seconds: r.seconds, intact };
}
