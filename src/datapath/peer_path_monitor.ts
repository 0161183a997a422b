/**
 * The main thread's view of one bonded peer's paths: their health (probes and echoes, receive
 * reports), published into the path table the TX Worker schedules from; the receive reports
 * we owe the peer; and the reorder timeout (delay spread of the peer's probes) and active-path
 * mask for the RX Worker. Path index = the router's link id, on both ends.
 *
 * Sans-IO: `now` comes in, frames go out through `send`.
 */
import type {
  ControlFrame,
  Probe,
  ProbeEcho,
  ReceiveReport,
} from "../bonding/control_frame_types.ts";
import { DelaySpread } from "../bonding/delay_spread.ts";
import {
  PATH_DOWN,
  PathHealth,
  type PathState,
  pathStateName,
  REPORT_INTERVAL_MS,
  REPORTS_OVERDUE_MS,
} from "../bonding/path_health.ts";
import { PathReceiveCounts } from "../bonding/path_receive_counts.ts";
import { PathSendLog } from "../bonding/path_send_log.ts";
import { PathTable } from "../bonding/path_table.ts";
import type { Endpoint } from "../protocol/endpoint.ts";
import {
  type BondedReceiveMemory,
  createBondedReceiveMemory,
  reorderSettings,
} from "./bonded_receiver.ts";
import {
  type BondedPeerMemory,
  createBondedPeerMemory,
  PATHS_PER_PEER,
  SEND_LOG_ENTRIES,
} from "./bonded_sender.ts";

/** A report interval stretched by less than this many times the path's jitter is not saturated. */
const JITTER_SLACK = 2;
/**
 * A report this much older than the newest one handled (by the peer's clock) is not overtaken
 * but from a restarted peer, whose clock began again: the paths' delays differ by far less.
 */
const REPORT_RESTART_MS = 10_000;
/**
 * A tick this much later than the one before follows a blocked event loop (ticks come every 10
 * ms): the frames that arrived meanwhile are still queued behind it.
 */
const TICK_STALL_MS = 50;

/**
 * Sends `frame` on path `path` (from `socket` to `to`; to null: the peer's endpoint), or with
 * path -1 scheduled like data.
 */
export type PathSend = (
  path: number,
  socket: number,
  to: Endpoint | null,
  frame: ControlFrame,
) => void;

/** One path of the peer. */
export interface MonitoredPath {
  name: string;
  socket: number;
  /** Null: the peer's endpoint (the router's paths all lead to the one VPS address). */
  endpoint: Endpoint | null;
  health: PathHealth;
  /** When the state last changed. */
  since: number;
  /** The state the last tick reported (echoes and reports change it between ticks too). */
  reported: PathState;
}

/** A state change a tick reports (logged; the TCP split follows it). */
export interface PathChange {
  path: number;
  name: string;
  state: string;
  /** For "down": how long the path had been silent, ms. */
  silentMs?: number;
}

export class PeerPathMonitor {
  readonly peer: number;
  readonly txMemory: BondedPeerMemory = createBondedPeerMemory();
  readonly rxMemory: BondedReceiveMemory = createBondedReceiveMemory();
  readonly paths: (MonitoredPath | undefined)[] = new Array(PATHS_PER_PEER).fill(undefined);
  readonly table: PathTable;
  readonly counts: PathReceiveCounts;
  readonly spread = new DelaySpread(PATHS_PER_PEER);
  readonly #logs: PathSendLog[];
  readonly #reorder: ReturnType<typeof reorderSettings>;
  readonly #send: PathSend;
  readonly #ids = Array.from({ length: PATHS_PER_PEER }, (_, i) => i);
  #nextReportAt = -Infinity;
  #reportedPackets = 0;
  /** reportTime of the newest report handled. */
  #lastReportTime = -Infinity;
  /** When the last report arrived (ours), in order or not. */
  #lastReportAt = -Infinity;
  /** The path it came on; -1: unknown. */
  #reportPath = -1;
  /** NaN before the first tick, which is not late. */
  #lastTickAt = NaN;
  /** Whether the last tick judged the paths (see tick). */
  #judged = true;
  /** Ticks that came after a stall and judged no path (see tick). */
  ticksDeferred = 0;

  constructor(peer: number, send: PathSend) {
    this.peer = peer;
    this.#send = send;
    this.table = new PathTable(PATHS_PER_PEER, this.txMemory.table);
    for (let p = 0; p < PATHS_PER_PEER; p++) this.table.set(p, { state: PATH_DOWN, id: p });
    this.#logs = this.txMemory.sendLogs.map((b) => new PathSendLog(SEND_LOG_ENTRIES, b));
    this.counts = new PathReceiveCounts(PATHS_PER_PEER, this.rxMemory.counts);
    this.#reorder = reorderSettings(this.rxMemory);
  }

  /**
   * Path `id` exists (or moved): its socket and endpoint. A new path starts down and is
   * admitted by its echoes; `seedBytesPerSecond` starts its capacity estimate.
   */
  setPath(
    now: number,
    id: number,
    name: string,
    socket: number,
    endpoint: Endpoint | null,
    weight: number,
    seedBytesPerSecond?: number,
  ): void {
    const existing = this.paths[id];
    if (existing !== undefined) {
      existing.name = name;
      existing.socket = socket;
      existing.endpoint = endpoint?.clone() ?? null;
      return;
    }
    this.paths[id] = {
      name,
      socket,
      endpoint: endpoint?.clone() ?? null,
      health: new PathHealth(this.#logs[id], { seedBytesPerSecond }),
      since: now,
      reported: PATH_DOWN,
    };
    this.table.set(id, { state: PATH_DOWN, weight, id });
  }

  /** Path `id`'s static weight changed (a reload). */
  setWeight(id: number, weight: number): void {
    if (this.paths[id] !== undefined) this.table.set(id, { weight });
  }

  /**
   * The path leaving by `socket` whose endpoint is `from` (any endpoint when `anySource`: a
   * router's path is its socket); -1 if none.
   */
  pathBy(socket: number, from: Endpoint, anySource: boolean): number {
    for (let p = 0; p < PATHS_PER_PEER; p++) {
      const path = this.paths[p];
      if (path === undefined || path.socket !== socket) continue;
      if (anySource || path.endpoint === null || path.endpoint.equals(from)) return p;
    }
    return -1;
  }

  /** Path `id` is gone (the router restarted with other links, or a reload removed one). */
  removePath(id: number): void {
    this.paths[id] = undefined;
    this.table.set(id, { state: PATH_DOWN });
  }

  /**
   * Probes that are due, state changes, the table, the reorder settings, a report. After a
   * stall (TICK_STALL_MS) no path changes state: the echoes and reports that came meanwhile are
   * handled after this tick, and a path would be taken for dead for the event loop's silence.
   * The next tick judges, late or not.
   */
  tick(now: number): PathChange[] {
    const changes: PathChange[] = [];
    // One tick in a row at most: under lasting overload every tick comes late, and paths must
    // still go down.
    const judge = !(now - this.#lastTickAt > TICK_STALL_MS) || !this.#judged;
    this.#judged = judge;
    this.#lastTickAt = now;
    if (!judge) this.ticksDeferred++;
    let alive = 0;
    const overdue = now - this.#lastReportAt > REPORTS_OVERDUE_MS;
    for (let p = 0; p < PATHS_PER_PEER; p++) {
      const path = this.paths[p];
      if (path === undefined) continue;
      const h = path.health;
      const reports = !overdue
        ? "flowing"
        : p === this.#reportPath
        ? "overdue-here"
        : "overdue-elsewhere";
      h.tick(now, reports, judge);
      if (h.state !== path.reported) {
        path.reported = h.state;
        path.since = now;
        changes.push({
          path: p,
          name: path.name,
          state: pathStateName(h.state),
          silentMs: h.state === PATH_DOWN ? Math.round(now - h.lastLifeAt) : undefined,
        });
      }
      if (h.probeDue(now)) {
        const probe: Probe = { type: "probe", pathId: p, seq: h.takeProbe(now), sentAt: now };
        this.#send(p, path.socket, path.endpoint, probe);
      }
      this.table.publish(p, h, now);
      if (h.state !== PATH_DOWN) alive |= 1 << p;
    }
    this.#reorder.set(this.spread.timeoutMs(now), alive);
    if (now >= this.#nextReportAt) {
      let packets = 0;
      for (let p = 0; p < PATHS_PER_PEER; p++) packets += this.counts.packets[p];
      if (packets !== this.#reportedPackets) {
        this.#reportedPackets = packets;
        this.#send(-1, -1, null, this.counts.report(now, this.#ids));
      }
      this.#nextReportAt = now + REPORT_INTERVAL_MS;
    }
    return changes;
  }

  /** A probe from the peer on path `pathId`: its timestamp feeds the delay spread. */
  onProbe(now: number, probe: Probe): void {
    this.spread.add(now, probe.pathId, probe.sentAt);
  }

  /** False when the echo names no path of ours or no probe we sent. */
  onEcho(now: number, echo: ProbeEcho): boolean {
    const path = this.paths[echo.pathId];
    return path !== undefined && path.health.onProbeEcho(now, echo.seq, echo.sentAt, echo.holdMs);
  }

  /**
   * A receive report that came by path `path` (-1: unknown; the RX Worker resolves it as for
   * data). False when the report is older than one already handled, and ignored: reports are
   * scheduled like data, so one may overtake another on a faster path, and the older one,
   * handled after, would count the packets between the two twice.
   */
  onReport(now: number, report: ReceiveReport, path: number): boolean {
    this.#lastReportAt = now;
    this.#reportPath = path;
    const t = report.reportTime;
    if (t <= this.#lastReportTime && t > this.#lastReportTime - REPORT_RESTART_MS) return false;
    this.#lastReportTime = t;
    for (const e of report.entries) {
      // Our measure of the path's jitter is of the peer's probes (the other direction): the
      // best estimate at hand of how much the link stretches intervals on its own.
      const slack = JITTER_SLACK * this.spread.jitter(e.pathId);
      this.paths[e.pathId]?.health.onReport(
        now,
        e.packets,
        e.bytes,
        e.highestCounter,
        e.highestAt,
        slack,
        t,
      );
    }
    return true;
  }
}
