/**
 * The sender's view of one path: is it alive, how fast, how lossy, how far. Sans-IO: the
 * control plane feeds it probe echoes and receive reports with `now`, calls `tick(now)` at
 * `nextDeadline()`, sends a probe on the path whenever `probeDue(now)`, and publishes `state`,
 * `rate` and the one-way delay to the schedulers (path_table.ts).
 *
 * Liveness. A sign of life is an echo of one of our probes, or a receive report showing that
 * the path delivered something new, dated when it delivered it (the report says how long before
 * it was written that was): a report that comes late, held up or sent again on another path
 * after the one carrying reports died, tells of an old delivery, not of a path alive now.
 * Silence makes a path suspect, an unanswered probe convicts it: the path is declared down
 * when it has been silent for max(missedProbes x the interval signs of life normally arrive
 * at, srtt + 4 rttvar + margin) *and* a probe sent since its last sign of life has gone
 * unanswered for its RTT timeout (srtt + 4 rttvar + margin). A silent path is probed out of
 * turn once it has missed a sign of life and a half, or earlier if that probe's timeout would
 * otherwise end after the silence limit, so a dead path goes down as soon as its silence alone
 * would take it, and a live one whose news is late (its data lost in a burst, its flow gone
 * elsewhere, the reports about it slow to come) answers and stays up.
 * Idle, the interval is the probe interval: 150 ms after the last echo at 50 ms probes. Busy,
 * it is what the path shows: receive reports every 25 ms make it 75 ms on a path that carries
 * data in every report, while one that carries a packet now and then shows longer gaps between
 * signs of life, and waits that much longer (the gap estimate rises at once with a long gap and
 * sinks slowly). On a slow or jittery path the RTT term takes over, so a delay spike is not a
 * death; on a busy path that term is a report interval longer, as a packet's news comes back in
 * a report that waits up to that long at the peer.
 *
 * Reports ride one path of the peer's choosing. When they stop coming at all (the monitor says
 * so in `tick`), a busy path's silence may be the carrier's fault rather than its own, and its
 * echo may queue behind the traffic leaving the dead carrier: then a probe of a busy path that
 * did not carry the last report convicts it only after twice its RTT timeout. The carrier fails
 * the test about as fast as the silence alone would take it down; the other paths, whose echoes
 * keep coming on their own, stay up.
 *
 * Hysteresis. A down path (and a new one) is admitted after `recoverProbes` consecutive
 * echoes. Every time it goes down again the number doubles (up to `maxRecoverProbes`), and each
 * `flapForgiveMs` of staying up forgives one such doubling: a flapping link spends longer and
 * longer out of service instead of dragging traffic back and forth at every blip. Up and
 * degraded (loss at or above `degradedLossEnter`) switch with their own hysteresis band.
 *
 * Probes go out every `probeIdleMs` while the path carries no data and every `probeBusyMs`
 * while it does, when receive reports also bring signs of life.
 */
import { LossEstimator } from "./loss_estimator.ts";
import type { PathSendLog } from "./path_send_log.ts";
import { RateEstimator } from "./rate_estimator.ts";
import { RttEstimator } from "./rtt_estimator.ts";
import { StandingQueue } from "./standing_queue.ts";

export const PATH_DOWN = 0;
export const PATH_DEGRADED = 1;
export const PATH_UP = 2;
export type PathState = typeof PATH_DOWN | typeof PATH_DEGRADED | typeof PATH_UP;

const STATE_NAMES = ["down", "degraded", "up"] as const;
export function pathStateName(state: PathState): (typeof STATE_NAMES)[number] {
  return STATE_NAMES[state];
}

/**
 * Starting rate of a path with no configured down_mbps/up_mbps: 10 Mbit/s, low enough not to
 * flood a slow link, and the rate estimator raises it within a second on a faster one.
 */
export const DEFAULT_SEED_BYTES_PER_SECOND = 10e6 / 8;
/**
 * A probe unanswered this long counts as lost (for the loss estimate; liveness does not wait
 * for it): RFC 6298's initial RTO, or twice the current RTO if that is longer, so an echo
 * merely delayed by a queue is not miscounted.
 */
const PROBE_LOSS_TIMEOUT_MS = 1000;
/** Outstanding probes remembered; older echoes are ignored. */
const PROBE_RING = 64;
/**
 * How often the receiver reports what arrived on each path while data flows (the peer's
 * monitor sends them at this interval; liveness of a busy path rests on them).
 */
export const REPORT_INTERVAL_MS = 25;
/**
 * No receive report for this long: the path they ride may have died, so a busy path's silence
 * no longer tells on that path alone (see tick). Two intervals: one missed report is jitter.
 */
export const REPORTS_OVERDUE_MS = 2 * REPORT_INTERVAL_MS;

/**
 * What the peer's receive reports say about a path's silence: they come (`flowing`), or they are
 * overdue and the last one came on this path (`overdue-here`) or on another (`overdue-elsewhere`).
 */
export type ReportFlow = "flowing" | "overdue-here" | "overdue-elsewhere";
/** A rate sample spans at least this much sending, ms (about one report interval)... */
const RATE_SAMPLE_MIN_MS = 20;
/** ...and this many times the path's jitter slack (see onReport). */
const RATE_SAMPLE_JITTERS = 6;
/** Missed signs of life (in intervals they come at) after which a silent path is probed. */
const SUSPECT_INTERVALS = 1.5;
/** Cap on the doubling of recoverProbes (2^6 = 64x). */
const MAX_FLAPS = 6;

export interface PathHealthOptions {
  /** Probe interval while the path carries no data. @default 50 */
  probeIdleMs?: number;
  /** Probe interval while it carries data. @default 100 */
  probeBusyMs?: number;
  /** How often the receiver sends receive reports while data flows. @default 25 */
  reportIntervalMs?: number;
  /** Silent intervals before the path is down. @default 3 */
  missedProbes?: number;
  /** Added to srtt + 4 rttvar, ms. @default 10 */
  timeoutMarginMs?: number;
  /** Consecutive echoes to admit a new or recovered path. @default 3 */
  recoverProbes?: number;
  /** Ceiling of the doubled requirement for a flapping path. @default 48 */
  maxRecoverProbes?: number;
  /** Time up that forgives one flap. @default 10000 */
  flapForgiveMs?: number;
  /** Loss fraction at which an up path becomes degraded. @default 0.1 */
  degradedLossEnter?: number;
  /** Loss fraction at which a degraded path is up again. @default 0.04 */
  degradedLossExit?: number;
  /** Half-life of the loss estimate, ms. @default 2000 */
  lossHalfLifeMs?: number;
  /** Starting capacity, bytes/s (from the link's up_mbps or down_mbps). @default 10 Mbit/s */
  seedBytesPerSecond?: number;
}

export interface PathHealthStats {
  probesSent: number;
  echoes: number;
  /** Probes not answered within the timeout. */
  probesLost: number;
  /** Echoes for a probe we do not remember, or with a mismatched timestamp: dropped. */
  echoesRejected: number;
  reports: number;
  /** Reports naming a counter this path's send log does not hold (old keypair, too late). */
  reportsUnmatched: number;
  /** Times the path went down after having been admitted. */
  downs: number;
  /** State changes of any kind. */
  transitions: number;
}

export class PathHealth {
  state: PathState = PATH_DOWN;
  readonly rtt = new RttEstimator();
  readonly loss: LossEstimator;
  readonly rate: RateEstimator;
  /** Whether data (not just probes) went out on the path in the last probeBusyMs. */
  busy = false;
  /** Last sign of life; -Infinity before any. */
  lastLifeAt = -Infinity;
  /** Down events not yet forgiven. */
  flaps = 0;
  readonly stats: PathHealthStats = {
    probesSent: 0,
    echoes: 0,
    probesLost: 0,
    echoesRejected: 0,
    reports: 0,
    reportsUnmatched: 0,
    downs: 0,
    transitions: 0,
  };

  readonly #log: PathSendLog;
  readonly #o: Required<Omit<PathHealthOptions, "seedBytesPerSecond">>;
  // Probes: sent time per seq (mod PROBE_RING), NaN once resolved (answered or lost).
  readonly #probeSentAt = new Float64Array(PROBE_RING).fill(NaN);
  #nextSeq = 0;
  /** Oldest probe not yet answered or timed out. */
  #openSeq = 0;
  #lastEchoSeq = -1;
  #streak = 0;
  #nextProbeAt = -Infinity;
  /** When the first probe after the last sign of life left; stale when before lastLifeAt. */
  #probeAfterLifeAt = NaN;
  /** What the peer's receive reports do (see the file comment). */
  #reports: ReportFlow = "flowing";
  // Busy detection: packets in the send log beyond our own probes, per window.
  #windowStart = -Infinity;
  #windowPackets = 0;
  #windowProbes = 0;
  /** The gap between signs of life, as the path shows it (see the file comment), ms. */
  #lifeGap: number;
  #forgiveAt = Infinity;
  /** When the path last came into service. */
  #admittedAt = Infinity;
  // The previous matched report, for differences.
  #prevHighestAt = NaN;
  #prevRecvPackets = 0;
  #prevSentPackets = 0;
  #prevSentAll = 0;
  // Where the rate sample being gathered began (a matched report's marker), see onReport.
  #rateFromAt = NaN;
  #rateFromRecvPackets = 0;
  #rateFromRecvBytes = 0;
  #rateFromSentPackets = 0;
  #rateFromSentTime = 0;
  #rateFromRealTime = 0;
  /** The link's standing queue, from the reports' one-way delays (see onReport). */
  readonly #queue = new StandingQueue();

  constructor(log: PathSendLog, options: PathHealthOptions = {}) {
    this.#log = log;
    this.#o = {
      probeIdleMs: options.probeIdleMs ?? 50,
      probeBusyMs: options.probeBusyMs ?? 100,
      reportIntervalMs: options.reportIntervalMs ?? REPORT_INTERVAL_MS,
      missedProbes: options.missedProbes ?? 3,
      timeoutMarginMs: options.timeoutMarginMs ?? 10,
      recoverProbes: options.recoverProbes ?? 3,
      maxRecoverProbes: options.maxRecoverProbes ?? 48,
      flapForgiveMs: options.flapForgiveMs ?? 10_000,
      degradedLossEnter: options.degradedLossEnter ?? 0.1,
      degradedLossExit: options.degradedLossExit ?? 0.04,
      lossHalfLifeMs: options.lossHalfLifeMs ?? 2000,
    };
    for (const [key, v] of Object.entries(this.#o)) {
      if (!(v > 0 && v < Infinity)) {
        throw new RangeError(`path health ${key} must be a positive number, got ${v}`);
      }
    }
    if (this.#o.degradedLossExit >= this.#o.degradedLossEnter) {
      throw new RangeError("path health degradedLossExit must be below degradedLossEnter");
    }
    // Probes alone make ~1/probeIdleMs samples a second; ask for a second's worth before
    // trusting a loss figure.
    this.loss = new LossEstimator(this.#o.lossHalfLifeMs, 1000 / this.#o.probeIdleMs);
    this.rate = new RateEstimator(options.seedBytesPerSecond ?? DEFAULT_SEED_BYTES_PER_SECOND);
    this.#lifeGap = this.#o.probeIdleMs;
  }

  /** One-way delay estimate for scheduling (half the smoothed RTT), ms; 0 before samples. */
  get owdMs(): number {
    return this.rtt.samples === 0 ? 0 : this.rtt.srtt / 2;
  }

  /** Consecutive echoes needed now to admit the path. */
  get recoverProbesNeeded(): number {
    return Math.min(this.#o.maxRecoverProbes, this.#o.recoverProbes * 2 ** this.flaps);
  }

  /**
   * Silence after which the path is down, ms. Busy, the RTT term grows by a report interval:
   * a packet's news comes back in a report, which waits up to that long at the peer.
   */
  get downAfterMs(): number {
    const o = this.#o;
    const rttTerm = this.rtt.timeout(o.timeoutMarginMs) + (this.busy ? o.reportIntervalMs : 0);
    return Math.max(o.missedProbes * this.#lifeInterval(), rttTerm);
  }

  /** The interval signs of life come at: the probe interval idle, what the path shows busy. */
  #lifeInterval(): number {
    const o = this.#o;
    if (!this.busy) return o.probeIdleMs;
    return Math.max(Math.min(o.probeBusyMs, o.reportIntervalMs), this.#lifeGap);
  }

  probeDue(now: number): boolean {
    return now >= this.#nextProbeAt;
  }

  /** Registers a probe sent now and returns the sequence number to put in it. */
  takeProbe(now: number): number {
    const seq = this.#nextSeq++;
    if (seq - this.#openSeq >= PROBE_RING) {
      const oldest = this.#probeSentAt[this.#openSeq % PROBE_RING];
      this.#resolveProbe(now, this.#openSeq, oldest);
    }
    this.#probeSentAt[seq % PROBE_RING] = now;
    if (!(this.#probeAfterLifeAt >= this.lastLifeAt)) this.#probeAfterLifeAt = now;
    this.#nextProbeAt = now + (this.busy ? this.#o.probeBusyMs : this.#o.probeIdleMs);
    this.#windowProbes++;
    this.stats.probesSent++;
    return seq >>> 0;
  }

  /**
   * An echo of our probe `seq`, carrying the `sentAt` we put in it and the time the other side
   * held it. False (and counted) when it does not match a probe we have outstanding.
   */
  onProbeEcho(now: number, wireSeq: number, sentAt: number, holdMs: number): boolean {
    // Sequence numbers are u32 on the wire; count back from the next one to undo the wrap.
    let back = (this.#nextSeq - wireSeq) % 2 ** 32;
    if (back < 0) back += 2 ** 32;
    const seq = this.#nextSeq - back;
    const slot = seq % PROBE_RING;
    const rtt = now - sentAt - holdMs;
    if (
      !(back >= 1 && back <= PROBE_RING) || seq < this.#openSeq ||
      this.#probeSentAt[slot] !== sentAt || !(rtt >= 0)
    ) {
      this.stats.echoesRejected++;
      return false;
    }
    this.#probeSentAt[slot] = NaN;
    this.stats.echoes++;
    this.rtt.add(rtt);
    if (this.state !== PATH_DOWN) this.loss.add(now, 1, 0);
    if (seq > this.#lastEchoSeq) {
      this.#streak = seq === this.#lastEchoSeq + 1 ? this.#streak + 1 : 1;
      this.#lastEchoSeq = seq;
    }
    this.#life(now);
    this.#evaluate(now);
    return true;
  }

  /**
   * The receiver's cumulative counts for this path (one receive-report entry): packets and
   * bytes so far, the highest counter and when it arrived (receiver's clock). Loss and delivery
   * rate come from the difference to the previous report: the packets sent between the two
   * marker counters, against those received, over the marker's send and arrival spans.
   * `slackMs`: the path's own delay variation, which alone does not make a stretched interval
   * saturated (RateEstimator.add). `reportTime`: when the receiver wrote the report (its clock),
   * so that `reportTime - highestAt` is how long before that the path last delivered.
   *
   * A rate sample spans as many reports as it takes for its send span to reach
   * RATE_SAMPLE_MIN_MS and RATE_SAMPLE_JITTERS times the slack: over one 25 ms report, an LTE
   * link's ±20 ms can bunch or spread the arrivals by more than the interval itself, and the
   * sample would say nothing about what the path carries.
   */
  onReport(
    now: number,
    packets: number,
    bytes: number,
    highestCounter: number,
    highestAt: number,
    slackMs = 0,
    reportTime = highestAt,
  ): void {
    this.stats.reports++;
    const log = this.#log;
    if (!log.lookup(highestCounter)) {
      this.stats.reportsUnmatched++;
      return;
    }
    // Packets that count for loss (log.foundCounted; the receiver's `packets` are the same
    // kind), and all packets, whose progress alone is a sign of life.
    const sentPackets = log.foundCounted;
    const sentAll = log.foundPackets;
    // The marker's one-way delay, in the two clocks' difference: it really left at
    // foundRealTime (ours) and arrived at highestAt (the peer's).
    this.#queue.add(now, highestAt - log.foundRealTime);
    const comparable = highestAt > this.#prevHighestAt &&
      packets >= this.#prevRecvPackets && sentPackets >= this.#prevSentPackets;
    if (comparable) {
      const dSent = sentPackets - this.#prevSentPackets;
      const dLost = Math.max(0, dSent - (packets - this.#prevRecvPackets));
      if (dSent > 0 && this.state !== PATH_DOWN) this.loss.add(now, dSent, dLost);
      if (sentAll > this.#prevSentAll) this.#life(now - Math.max(0, reportTime - highestAt));
      this.#rateSample(packets, bytes, highestAt, sentPackets, slackMs);
    } else {
      this.#startRateSample(packets, bytes, highestAt, sentPackets);
    }
    this.#prevHighestAt = highestAt;
    this.#prevRecvPackets = packets;
    this.#prevSentPackets = sentPackets;
    this.#prevSentAll = sentAll;
    this.#evaluate(now);
  }

  /** The rate sample since its start, once it spans long enough (see onReport). */
  #rateSample(
    packets: number,
    bytes: number,
    highestAt: number,
    sentPackets: number,
    slackMs: number,
  ): void {
    const log = this.#log;
    const pacedMs = log.foundTime - this.#rateFromSentTime;
    const realMs = log.foundRealTime - this.#rateFromRealTime;
    if (Math.max(pacedMs, realMs) < Math.max(RATE_SAMPLE_MIN_MS, RATE_SAMPLE_JITTERS * slackMs)) {
      return;
    }
    const sent = sentPackets - this.#rateFromSentPackets;
    const lost = Math.max(0, sent - (packets - this.#rateFromRecvPackets));
    this.rate.add(
      bytes - this.#rateFromRecvBytes,
      highestAt - this.#rateFromAt,
      pacedMs,
      realMs,
      sent > 0 ? lost / sent : 0,
      slackMs,
      this.#queue.take(),
    );
    this.#startRateSample(packets, bytes, highestAt, sentPackets);
  }

  /** The marker just looked up (the log's found entry) starts the next rate sample. */
  #startRateSample(packets: number, bytes: number, highestAt: number, sentPackets: number): void {
    this.#rateFromAt = highestAt;
    this.#rateFromRecvPackets = packets;
    this.#rateFromRecvBytes = bytes;
    this.#rateFromSentPackets = sentPackets;
    this.#rateFromSentTime = this.#log.foundTime;
    this.#rateFromRealTime = this.#log.foundRealTime;
    this.#queue.restart();
  }

  /**
   * Timeouts, busy detection and state changes. `reports`: whether the peer's receive reports
   * come (see the file comment). `judge` false: the caller's event loop was blocked until now,
   * and the echoes and reports that came meanwhile wait behind this tick, so silence proves
   * nothing yet: the state is left as it is until the next tick. True if the state changed.
   */
  tick(now: number, reports: ReportFlow = "flowing", judge = true): boolean {
    this.#expireProbes(now);
    this.#updateBusy(now);
    this.#reports = reports;
    if (this.state !== PATH_DOWN && now >= this.#suspectAt()) this.#nextProbeAt = now;
    if (this.state !== PATH_DOWN && this.flaps > 0 && now >= this.#forgiveAt) {
      this.flaps--;
      this.#forgiveAt = now + this.#o.flapForgiveMs;
    }
    if (!judge) return false;
    const before = this.state;
    this.#evaluate(now);
    return this.state !== before;
  }

  /** When `tick` (or a probe) is next needed. */
  nextDeadline(): number {
    let t = this.#nextProbeAt;
    if (this.state !== PATH_DOWN) {
      t = Math.min(
        t,
        this.#suspectAt(),
        Math.max(this.lastLifeAt + this.downAfterMs, this.#convictedAt()),
      );
    }
    if (this.#openSeq < this.#nextSeq) {
      t = Math.min(t, this.#probeSentAt[this.#openSeq % PROBE_RING] + this.#probeTimeout());
    }
    return Math.min(t, this.#windowStart + this.#o.probeBusyMs);
  }

  /**
   * When a silent path is next probed out of turn: once it has missed a sign of life and a half,
   * or earlier if its probe's RTT timeout would otherwise end after the silence limit. Infinity
   * while a probe sent since its last sign of life is out.
   */
  #suspectAt(): number {
    if (this.#probeAfterLifeAt >= this.lastLifeAt) return Infinity;
    const suspectAfter = Math.max(
      SUSPECT_INTERVALS * this.#lifeInterval(),
      this.downAfterMs - this.#convictionTimeout(),
    );
    return this.lastLifeAt + suspectAfter;
  }

  /**
   * From when the path's silence may take it down: a probe sent since its last sign of life
   * unanswered for its conviction timeout (Infinity: no such probe yet).
   */
  #convictedAt(): number {
    const probeAt = this.#probeAfterLifeAt;
    return probeAt >= this.lastLifeAt ? probeAt + this.#convictionTimeout() : Infinity;
  }

  /**
   * How long a probe may go unanswered before the path is taken for dead: its RTT timeout,
   * doubled for a busy path while the peer's reports are overdue and the last one came on
   * another path (its echo may queue behind the traffic leaving that path).
   */
  #convictionTimeout(): number {
    const timeout = this.rtt.timeout(this.#o.timeoutMarginMs);
    if (timeout === Infinity) return PROBE_LOSS_TIMEOUT_MS;
    return this.busy && this.#reports === "overdue-elsewhere" ? 2 * timeout : timeout;
  }

  #probeTimeout(): number {
    const t = this.rtt.timeout(this.#o.timeoutMarginMs);
    return t === Infinity ? PROBE_LOSS_TIMEOUT_MS : Math.max(PROBE_LOSS_TIMEOUT_MS, 2 * t);
  }

  #expireProbes(now: number): void {
    const timeout = this.#probeTimeout();
    while (this.#openSeq < this.#nextSeq) {
      const sentAt = this.#probeSentAt[this.#openSeq % PROBE_RING];
      if (sentAt === sentAt && now - sentAt <= timeout) break;
      this.#resolveProbe(now, this.#openSeq, sentAt);
    }
  }

  /** Retires the oldest open probe, sent at `sentAt` (NaN if it was answered). */
  #resolveProbe(now: number, seq: number, sentAt: number): void {
    this.#probeSentAt[seq % PROBE_RING] = NaN;
    this.#openSeq = seq + 1;
    if (sentAt !== sentAt) return;
    this.stats.probesLost++;
    // A loss older than the last echo is already behind the current run of echoes (the gap in
    // echo sequence numbers ended the run before it); only a newer one breaks the run.
    if (seq > this.#lastEchoSeq) this.#streak = 0;
    // Only probes sent while the path was in service say something about its loss now.
    if (this.state !== PATH_DOWN && sentAt >= this.#admittedAt) this.loss.add(now, 1, 1);
  }

  #updateBusy(now: number): void {
    if (now < this.#windowStart + this.#o.probeBusyMs) return;
    const packets = this.#log.packets;
    this.busy = packets - this.#windowPackets > this.#windowProbes;
    this.#windowStart = now;
    this.#windowPackets = packets;
    this.#windowProbes = 0;
  }

  #life(now: number): void {
    if (now <= this.lastLifeAt) return;
    const gap = now - this.lastLifeAt;
    if (gap !== Infinity) {
      // Up at once with a long gap, down by an eighth of the difference per sign of life.
      this.#lifeGap = gap >= this.#lifeGap ? gap : this.#lifeGap + (gap - this.#lifeGap) / 8;
    }
    this.lastLifeAt = now;
  }

  #evaluate(now: number): void {
    const o = this.#o;
    if (this.state === PATH_DOWN) {
      if (this.#streak < this.recoverProbesNeeded) return;
      this.#set(this.loss.rate(now) >= o.degradedLossEnter ? PATH_DEGRADED : PATH_UP);
      this.#forgiveAt = now + o.flapForgiveMs;
      this.#admittedAt = now;
      return;
    }
    if (now - this.lastLifeAt > this.downAfterMs && now > this.#convictedAt()) {
      this.#set(PATH_DOWN);
      this.stats.downs++;
      this.flaps = Math.min(this.flaps + 1, MAX_FLAPS);
      this.#streak = 0;
      // Losses of the outage say nothing about the path once it is back.
      this.loss.reset();
      return;
    }
    const loss = this.loss.rate(now);
    if (this.state === PATH_UP && loss >= o.degradedLossEnter) this.#set(PATH_DEGRADED);
    else if (this.state === PATH_DEGRADED && loss <= o.degradedLossExit) this.#set(PATH_UP);
  }

  #set(state: PathState): void {
    this.state = state;
    this.stats.transitions++;
  }
}
