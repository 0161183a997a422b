/**
 * iperf3 between two lab hosts: an outside yardstick for throughput. One server per run
 * (`iperf3 -s -1` exits after one test), the client's JSON report (`-J`) is parsed for what the
 * receiver saw.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import { waitFor } from "../tests/netns/harness/wait_for.ts";

export interface IperfRun {
  /** Host running `iperf3 -s`. */
  server: string;
  /** Host running `iperf3 -c`. */
  client: string;
  /** Address the server binds and the client connects to. */
  address: string;
  /** Test length. */
  seconds: number;
  /** @default 5201 */
  port?: number;
  /** Parallel streams. @default 1 */
  parallel?: number;
  /** The client's source address (`-B`): on the lab's router, it picks the WAN. */
  bind?: string;
  /** Server sends, client receives (`-R`). @default false */
  reverse?: boolean;
  /**
   * Seconds run first and left out of the figures (`-O`): TCP's slow start, for a measure of
   * what the path carries once it is full. @default 0
   */
  omitSeconds?: number;
}

export interface UdpRun extends IperfRun {
  /** Offered load, Mbit/s. */
  rateMbps: number;
  /** Datagram payload bytes. @default 1200 */
  length?: number;
}

export interface TcpResult {
  /** Receiver's rate, Gbit/s. */
  gbps: number;
  /** Bytes the receiver got. */
  bytes: number;
  seconds: number;
  retransmits: number;
}

export interface UdpResult {
  /** Receiver's rate, Gbit/s. */
  gbps: number;
  /** Bytes the receiver got. */
  bytes: number;
  seconds: number;
  /** Datagrams the receiver counted as lost, percent of those sent. */
  lossPercent: number;
  /** Datagrams received per second. */
  packetsPerSecond: number;
  packets: number;
  lostPackets: number;
  /** Sender's rate, Gbit/s: what was offered. */
  sentGbps: number;
}

interface IperfSum {
  seconds: number;
  bytes: number;
  bits_per_second: number;
  retransmits?: number;
  packets?: number;
  lost_packets?: number;
  lost_percent?: number;
}

interface IperfReport {
  error?: string;
  end?: { sum_sent?: IperfSum; sum_received?: IperfSum };
}

const DEFAULT_PORT = 5201;
/** The UDP test's socket buffer when the kernel allows it. */
const UDP_SOCKET_BUFFER = 4 * 1024 * 1024;

/**
 * `-w BYTES` within net.core.rmem_max and wmem_max (iperf3 sets both buffers and fails when the
 * kernel grants less than asked; these limits are global, not per namespace), or nothing.
 */
function udpSocketBuffer(): string[] {
  let limit = UDP_SOCKET_BUFFER;
  for (const name of ["rmem_max", "wmem_max"]) {
    try {
      limit = Math.min(limit, Number(Deno.readTextFileSync(`/proc/sys/net/core/${name}`).trim()));
    } catch {
      return [];
    }
  }
  return Number.isInteger(limit) && limit > 0 ? ["-w", String(limit)] : [];
}

/** TCP throughput from client to server (or back with `reverse`). */
export async function iperfTcp(lab: Lab, run: IperfRun): Promise<TcpResult> {
  const report = await iperf(lab, run, []);
  const received = report.sum_received;
  return {
    gbps: received.bits_per_second / 1e9,
    bytes: received.bytes,
    seconds: received.seconds,
    retransmits: report.sum_sent.retransmits ?? 0,
  };
}

/**
 * UDP at a fixed offered rate: what arrived, what was lost, packets per second.
 *
 * Both ends' sockets get the largest buffer the kernel allows (`-w`, up to 4 MiB): with the
 * default 208 KiB the receiving iperf3 itself lost datagrams whenever the busy lab host left
 * it unscheduled for a few tens of milliseconds. Measured in the lab after TCP tests, 35
 * Mbit/s: iperf3 reported 1.5-3.7 % lost and the receiving host's UdpRcvbufErrors matched
 * that count (275 of 275 in one run); with the larger buffer, 0.00 %.
 */
export async function iperfUdp(lab: Lab, run: UdpRun): Promise<UdpResult> {
  if (!(run.rateMbps > 0)) throw new RangeError(`iperfUdp: rateMbps ${run.rateMbps} must be > 0`);
  const length = run.length ?? 1200;
  const report = await iperf(lab, run, [
    "-u",
    "-b",
    `${run.rateMbps}M`,
    "-l",
    String(length),
    ...udpSocketBuffer(),
  ]);
  const received = report.sum_received;
  const packets = received.packets ?? 0;
  const lostPackets = received.lost_packets ?? 0;
  return {
    gbps: received.bits_per_second / 1e9,
    bytes: received.bytes,
    seconds: received.seconds,
    lossPercent: received.lost_percent ?? 0,
    packetsPerSecond: received.seconds > 0 ? (packets - lostPackets) / received.seconds : 0,
    packets,
    lostPackets,
    sentGbps: report.sum_sent.bits_per_second / 1e9,
  };
}

async function iperf(
  lab: Lab,
  run: IperfRun,
  extra: string[],
): Promise<{ sum_sent: IperfSum; sum_received: IperfSum }> {
  if (!(run.seconds > 0 && run.seconds <= 600)) {
    throw new RangeError(`iperf: seconds ${run.seconds} must be in (0, 600]`);
  }
  const port = String(run.port ?? DEFAULT_PORT);
  const server = lab.spawn(run.server, ["iperf3", "-s", "-1", "-B", run.address, "-p", port]);
  try {
    await waitFor(async () => {
      if (server.exited) return "exited";
      const ss = await lab.exec(run.server, ["ss", "-Hltn", `sport = :${port}`]);
      return ss.stdout.trim().length > 0;
    }, { timeoutMs: 5000, what: `iperf3 server on ${run.server} port ${port}` });
    if (server.exited) {
      await server.stop(); // so its output has been read
      throw new Error(
        `iperf3 server on ${run.server} ${run.address}:${port} exited: ${server.stderr().trim()}`,
      );
    }
    const argv = [
      "iperf3",
      "-c",
      run.address,
      "-p",
      port,
      "-t",
      String(run.seconds),
      "-P",
      String(run.parallel ?? 1),
      "--connect-timeout",
      "3000",
      "-J",
      ...(run.reverse ? ["-R"] : []),
      ...(run.bind ? ["-B", run.bind] : []),
      ...(run.omitSeconds ? ["-O", String(run.omitSeconds)] : []),
      ...extra,
    ];
    // Setup, the test itself and the final exchange of results: generous but bounded.
    const timeoutMs = (run.seconds + (run.omitSeconds ?? 0) + 20) * 1000;
    const result = await lab.exec(run.client, argv, { timeoutMs });
    const where = `iperf3 ${run.client} -> ${run.server} ${run.address}:${port}`;
    if (result.timedOut) throw new Error(`${where}: timed out`);
    let report: IperfReport;
    try {
      report = JSON.parse(result.stdout);
    } catch {
      throw new Error(`${where}: exit ${result.code}, no JSON report: ${result.stderr.trim()}`);
    }
    // iperf3 3.12 exits 0 on some failures, with only the "error" field to tell.
    if (report.error || result.code !== 0) {
      throw new Error(`${where}: exit ${result.code}: ${report.error ?? result.stderr.trim()}`);
    }
    const sent = report.end?.sum_sent;
    const received = report.end?.sum_received;
    if (!sent || !received) throw new Error(`${where}: report has no sum_sent/sum_received`);
    return { sum_sent: sent, sum_received: received };
  } finally {
    await server.stop();
  }
}
