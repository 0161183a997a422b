/**
 * The router's ceiling on TCP send buffers (the maximum of net.ipv4.tcp_wmem) while the TCP
 * split runs: what bounds how long data resent after a path dies waits behind the others.
 *
 * MPTCP hands a connection's data to its subflows as far as the VPS's receive window lets it,
 * and each subflow's write queue grows up to its send buffer, which the kernel autotunes up to
 * that maximum (4 MiB by default). Its scheduler fills the subflows alike in time: in the lab
 * (profile A, a bulk upload) each held 1.5-2.9 MB not yet sent, about a second of its path. When
 * a path dies, what its subflow had in flight is sent again on the others, behind those queues:
 * the VPS waited 0.8-1.0 s for it. Capped at 1.5 MiB, 0.25-0.56 s; at 1 MiB, 0.16-0.67 s. The
 * cap costs single-flow uploads where a subflow needs room for its losses: in profile B (2 %
 * loss on a link) 1 MiB took 3.7 % (57.4 Mbit/s against 59.5, four runs each, interleaved),
 * 1.5 MiB nothing measurable (59.4); at 0.5 MB profile A lost 5-8 %.
 *
 * The kernel gives no send buffer per subflow (one set on the MPTCP socket is copied to every
 * subflow and caps the whole connection too), so the ceiling is the namespace's:
 * SEND_BUFFER_BDPS times the largest path's bandwidth-delay product (a subflow's buffer holds
 * its flight, which BBR lets reach two products and more with the path's own queue, at about
 * twice its size in kernel memory, and its losses' retransmissions; the multiple itself is the
 * one profile A's good figures above give), never below MIN_SEND_BUFFER and never above what
 * was set. Profile A's paths (150 KB at most) get 1.5 MiB; profile C's LTE path (750 KB)
 * leaves the default. Only the router's: on the VPS the
 * same ceiling would also hold back its own leg of each split connection to distant servers
 * (srv's round trip, not the paths').
 *
 * Sans-IO: src/roles/split_send_buffer.ts reads and writes the setting.
 */
import type { PathCapacity } from "./subflow_windows.ts";

/** The ceiling's multiple of the largest path's bandwidth-delay product. */
export const SEND_BUFFER_BDPS = 10;
/** Never below this: at 1 MiB profile B's single flow lost 3.7 %. */
export const MIN_SEND_BUFFER = 1.5 * (1 << 20);

/**
 * The ceiling for these paths, `found` the maximum set before (never raised above), or `found`
 * itself while no path has both a capacity and an RTT.
 */
export function sendBufferCeiling(
  paths: readonly (PathCapacity | undefined)[],
  found: number,
): number {
  let largest = 0;
  for (const p of paths) {
    if (p === undefined) continue;
    const bdp = p.bytesPerSecond * p.minRttMs / 1000;
    if (Number.isFinite(bdp) && bdp > largest) largest = bdp;
  }
  if (largest === 0) return found;
  return Math.min(found, Math.max(MIN_SEND_BUFFER, Math.round(SEND_BUFFER_BDPS * largest)));
}

/**
 * The ceiling to write now: `next` when it moved more than an eighth from `current` (the
 * estimates wander; a changed ceiling only matters to buffers still growing), else `current`.
 */
export function ceilingToWrite(current: number, next: number): number {
  return Math.abs(next - current) > current / 8 ? next : current;
}

/** net.ipv4.tcp_wmem's three numbers: minimum, default, maximum. */
export function parseTcpWmem(text: string): [number, number, number] {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 3 || fields.some((f) => !/^\d+$/.test(f))) {
    throw new Error(`net.ipv4.tcp_wmem reads "${text.trim()}", not three numbers`);
  }
  return [Number(fields[0]), Number(fields[1]), Number(fields[2])];
}
