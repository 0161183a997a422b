/**
 * The TX Worker's view of one bonded peer: its paths (socket and endpoint each), the scheduler
 * over the path table the main thread keeps current in shared memory, and each path's send log
 * (counter, bytes, time of every datagram, which the main thread turns into loss and rates).
 *
 * A datagram is sealed before the path is picked, so its counter is assigned when it leaves:
 * each path carries increasing counters (the send log and the receiver's "every path has
 * passed it" rule rely on that). There is no pacing queue: the aggregate scheduler's virtual
 * pacing shares the packets out by rate and refuses a packet once every path has 50 ms queued;
 * the send log records the paced departure (see `sentAt`).
 */
import { AggregateScheduler } from "../bonding/aggregate_scheduler.ts";
import { PathSendLog } from "../bonding/path_send_log.ts";
import { PathTable } from "../bonding/path_table.ts";
import { PATH_DOWN } from "../bonding/path_health.ts";
import { createScheduler, type Scheduler, type SchedulerMode } from "../bonding/scheduler.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { splitPathOf } from "../mptcp/subflow_ports.ts";

import { MAX_LINKS } from "../config/validate_links.ts";

/** Paths a bonded peer may have: link ids 0..7 (a router has at most MAX_LINKS links). */
export const PATHS_PER_PEER = MAX_LINKS;
/** Send log entries per path: a report interval plus a round trip at ~40 000 packets/s. */
export const SEND_LOG_ENTRIES = 4096;

/** The shared memory of one bonded peer, made by the main thread, handed to the TX Worker. */
export interface BondedPeerMemory {
  table: SharedArrayBuffer;
  sendLogs: SharedArrayBuffer[];
}

export function createBondedPeerMemory(): BondedPeerMemory {
  return {
    table: new SharedArrayBuffer(PathTable.bytesFor(PATHS_PER_PEER)),
    sendLogs: Array.from(
      { length: PATHS_PER_PEER },
      () => new SharedArrayBuffer(PathSendLog.bytesFor(SEND_LOG_ENTRIES)),
    ),
  };
}

export class BondedSender {
  readonly table: PathTable;
  scheduler: Scheduler;
  readonly logs: PathSendLog[];
  /** Socket index per path; -1 when the path does not exist. */
  readonly socket = new Int32Array(PATHS_PER_PEER).fill(-1);
  /** Endpoint per path; null: the peer's current endpoint (the router's paths all lead there). */
  readonly endpoint: (Endpoint | null)[] = new Array(PATHS_PER_PEER).fill(null);
  #aggregate: AggregateScheduler | undefined;
  #mode: SchedulerMode;

  constructor(mode: SchedulerMode, memory: BondedPeerMemory) {
    this.table = new PathTable(PATHS_PER_PEER, memory.table);
    this.#mode = mode;
    this.scheduler = createScheduler(mode, this.table);
    this.#aggregate = this.scheduler instanceof AggregateScheduler ? this.scheduler : undefined;
    this.logs = memory.sendLogs.map((buf) => new PathSendLog(SEND_LOG_ENTRIES, buf));
  }

  get mode(): SchedulerMode {
    return this.#mode;
  }

  /** A reload changed the mode: a fresh scheduler over the same paths and logs. */
  setMode(mode: SchedulerMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    this.scheduler = createScheduler(mode, this.table);
    this.#aggregate = this.scheduler instanceof AggregateScheduler ? this.scheduler : undefined;
  }

  /** A path appears, moves, or (socket -1) goes away. */
  setPath(path: number, socket: number, endpoint: string | null): void {
    if ((path >>> 0) !== path || path >= PATHS_PER_PEER) return;
    this.socket[path] = socket;
    this.endpoint[path] = endpoint === null ? null : Endpoint.parse(endpoint);
  }

  /** A new keypair: counters restart, so each send log starts a new epoch. */
  newKeypair(): void {
    for (const log of this.logs) log.reset();
  }

  /**
   * The send time to record for the packet just picked: in aggregate mode its paced departure.
   * Packets leave at once (the link's queue absorbs the burst), but the rate estimator compares
   * the send span with the arrival span to tell a saturated path from an underused one; with
   * actual send times every burst would look stretched by the link, and the estimate would
   * sink to whatever the path happened to carry.
   */
  sentAt(now: number): number {
    const aggregate = this.#aggregate;
    return aggregate === undefined ? now : Math.max(now, aggregate.departure);
  }

  /**
   * The path of TCP split subflow `j` (subflow_ports.ts) as a one-bit mask, or 0 when that path
   * is down (the caller then schedules the packet like any other, so the subflow lives on
   * through a dead link) or the mode is not aggregate (the others schedule every packet their
   * own way: redundant copies a subflow's packets too). A degraded path keeps its subflow: the
   * loss that degrades it is what the subflow's own congestion control answers. The subflow is
   * not paced: to the scheduler its load is cross traffic, which the path's rate estimate and
   * delay show.
   */
  splitMask(j: number): number {
    if (this.#aggregate === undefined) return 0;
    const p = splitPathOf(j, this.#exists, PATHS_PER_PEER);
    if (p < 0 || this.table.state[p] === PATH_DOWN) return 0;
    return 1 << p;
  }

  readonly #exists = (p: number) => this.socket[p] >= 0;

  /** Whether any path may carry data now (else the peer is reached the plain way). */
  usable(): boolean {
    return this.table.usableMask() !== 0;
  }
}
