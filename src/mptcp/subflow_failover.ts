/**
 * What the TCP split does when a path dies and comes back (sans-IO; src/roles/split_failover.ts
 * lists the sockets, closes them and has the ports announced).
 *
 * A subflow outlives its path: the data path reschedules its packets over the live paths. But
 * its congestion control still holds the dead path's picture (BBR's minimum RTT stays the dead
 * path's for ten seconds, which caps its window at a fraction of what the slower paths need),
 * the connection's data already given to it is lost with the path and comes back only at its
 * pace, and the kernel's MPTCP scheduler keeps giving it new data. The connection then waits on
 * that one subflow. Measured in the lab's profile A (a 24 MiB upload, the 40-Mbit/s link cut
 * 1.5 s in): runs at 1-8 Mbit/s for seconds, and one in five did not finish within ten seconds
 * of its sender, the receiving VPS dropping data beyond its MPTCP window while it waited.
 *
 * So the VPS closes (SOCK_DESTROY) its subflows riding a path as the path goes down, and their
 * resets close the router's: each end's kernel then sends the closed subflows' unacknowledged
 * data again on the others at once. (Only the VPS, which announces the path again: see
 * src/roles/split_failover.ts. The router's side of the rules below is its view of the same.)
 *
 * When the path comes back the connections that lost its subflow have none there, and the
 * router's path manager makes subflows only when the VPS announces a port. The kernel announces
 * a port once, when it is added, and cannot add it again while subflows of the connections that
 * kept theirs hold it (its listener has no SO_REUSEADDR; withdrawing the port leaves them be).
 * So the VPS announces the path on another port that rides it (subflow j rides path j mod n:
 * j + n does), and withdraws the old one (its subflows stay, new connections no longer join it).
 * The first path's subflow is the connection's first subflow, to the listener's port, which is
 * never announced: for it the VPS announces a spare, n (then 2n, ...).
 */
import { sameAddress } from "../net/ip_address.ts";
import type { TcpSocketEntry } from "../system/netlink/sock_diag.ts";
import { SPLIT_PORT, SPLIT_SUBFLOWS, splitPathOf } from "./subflow_ports.ts";

/** A TCP socket as the split sees it: sock_diag.ts's entries (state 1: established). */
export type SubflowSocket = Omit<TcpSocketEntry, "id">;

const ESTABLISHED = 1;

/** Which of this host's sockets are the split's subflows, and which path each rides. */
export interface SplitSubflows {
  /** "router": the VPS's port is the remote one; "vps": the local one. */
  side: "router" | "vps";
  /** The VPS's split address (its listener's), 4 or 16 bytes. */
  splitAddress: Uint8Array;
  /** Whether the peer has path p (the numbering subflows are pinned by). */
  exists: (path: number) => boolean;
  /** Paths a peer may have (path ids are below it). */
  paths: number;
  /** VPS: whether the remote address is the router the paths belong to. */
  isPeer?: (family: 4 | 6, address: Uint8Array) => boolean;
}

/** The path subflow socket `s` rides, or -1 when it is not one of the split's subflows. */
export function pathOfSubflow(s: SubflowSocket, o: SplitSubflows): number {
  const router = o.side === "router";
  if (!sameAddress(router ? s.remote : s.local, o.splitAddress)) return -1;
  const j = (router ? s.remotePort : s.localPort) - SPLIT_PORT;
  if (j < 0 || j >= SPLIT_SUBFLOWS) return -1;
  if (!router && o.isPeer !== undefined && !o.isPeer(s.family, s.remote)) return -1;
  return splitPathOf(j, o.exists, o.paths);
}

/**
 * The subflows to close as `path` dies: those riding it whose connection has another
 * established subflow on a path that is not down. A connection's last live subflow is kept (it
 * rides on over the live paths, as the data path reschedules it): closed, it would leave the
 * connection nothing to send on, and the router's path manager makes no new one by itself.
 * Subflows whose connection is unknown (no token reported) are kept too.
 */
export function subflowsToClose<T extends SubflowSocket>(
  sockets: readonly T[],
  path: number,
  isDown: (path: number) => boolean,
  o: SplitSubflows,
): T[] {
  const onPath: T[] = [];
  /** Connections with an established subflow on a live path. */
  const alive = new Set<number>();
  for (const s of sockets) {
    const p = pathOfSubflow(s, o);
    if (p < 0 || s.mptcpToken === undefined) continue;
    if (p === path) onPath.push(s);
    else if (s.state === ESTABLISHED && !isDown(p)) alive.add(s.mptcpToken);
  }
  return onPath.filter((s) => alive.has(s.mptcpToken!));
}

/**
 * The subflow indexes j (port SPLIT_PORT + j) the VPS may announce in slot k while routers have
 * up to `n` paths: k, k + n, k + 2n, ... below SPLIT_SUBFLOWS, which all ride the same path of
 * such a router (j mod n). Slot k (1..n-1) is path k's; slot 0 is the first path's spare, whose
 * subflow is otherwise the connection's first (n, 2n, ...).
 */
export function slotCandidates(k: number, n: number): number[] {
  const out: number[] = [];
  if (n < 1) return out;
  for (let j = k === 0 ? n : k; j < SPLIT_SUBFLOWS; j += n) out.push(j);
  return out;
}

/**
 * The slots to announce again when `path` of a peer comes back: those whose subflow index
 * (`current[k]`, or the first candidate where none is announced) rides that path, the spare
 * (slot 0) only when no announced slot does (the first path's subflow is the first subflow).
 */
export function slotsForPath(
  path: number,
  exists: (path: number) => boolean,
  paths: number,
  current: readonly (number | undefined)[],
  n: number,
): number[] {
  const slots: number[] = [];
  for (let k = 1; k < n; k++) {
    const j = current[k] ?? slotCandidates(k, n)[0];
    if (j !== undefined && splitPathOf(j, exists, paths) === path) slots.push(k);
  }
  if (slots.length > 0) return slots;
  const spare = current[0] ?? slotCandidates(0, n)[0];
  return spare !== undefined && splitPathOf(spare, exists, paths) === path ? [0] : [];
}
