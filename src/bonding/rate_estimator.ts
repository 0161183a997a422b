/**
 * What one path can carry, in bytes per second, for pacing: seeded from the configured Mbit/s
 * and corrected from receive reports.
 *
 * A delivery-rate sample (bytes received between two marker packets, over the time between
 * their arrivals) only measures the path's capacity when the path was the limit; otherwise it
 * is a lower bound (the sender was the limit). The path was the limit when it stretched the
 * packets out: they took longer to arrive than to send (arrival span > send span). Comparing
 * times rather than byte rates keeps random loss (fewer bytes arrive, no stretch) and bursty,
 * lightly used paths (a burst slightly spread over an otherwise idle interval) from passing
 * for saturation. A path overloaded into a full queue drops instead of stretching further, so
 * heavy loss in the interval (above `lossSaturation`, well above random wire loss) counts as
 * saturation too. Saturated samples pull the estimate towards them, unsaturated ones can only
 * raise it. The scheduler's probing phases (pacing above the estimate now and then) turn a
 * too-low estimate into unsaturated samples above it, so the estimate climbs until the path
 * saturates.
 *
 * The send span is the longer of two: between the markers' paced departures (a burst handed
 * over at once is spread by its pacing, so the link spreading it the same way is no stretch),
 * and between the times they really left. The second matters after an idle spell: a marker
 * paced into the future left early and arrived early, and measured from its paced departure
 * the interval after it looks stretched by that lag. Measured so, an estimate below the path's
 * rate (which is what makes the lag) read as saturation and sank further at every idle spell.
 *
 * An unsaturated sample raises the estimate by no more than the rate the packets really left
 * at: a path that was not the limit carried what it was given, and a delivery rate above that
 * is jitter bunching the arrivals (an LTE link's ±20 ms can fit 50 ms of sending into 10 ms of
 * arrivals, which would read as five times its rate).
 *
 * A queue that stood in the link through the sample (standing_queue.ts) above QUEUE_TARGET_MS
 * (and the path's jitter) makes it saturated too, however little it stretched: an estimate a few
 * percent above the link's rate stretches no interval by 5 %, but the link's queue grows by those
 * few percent for as long as the load lasts. Such a sample pulls the estimate towards a little
 * less than the delivery rate: at the link's own rate the queue would stop growing but stay.
 * The shortfall is what drains the excess over the target in about DRAIN_MS (10 ms too many:
 * 2 % below), so the pacing eases off in proportion instead of in steps; once the queue is
 * below the target, the next unsaturated sample (a draining queue delivers at the link's rate)
 * lifts the estimate back.
 */

/** A sample is evidence of saturation only if the sender offered at least this share of the
 * estimate during it. */
const LOADED_FRACTION = 0.5;

/**
 * A standing queue above this (ms, plus the path's jitter) is the estimate's doing. Above what
 * one probing phase builds at an estimate equal to the link's rate (100 ms at 1.25: 25 ms),
 * which then drains in the next phase and is no standing queue.
 */
export const QUEUE_TARGET_MS = 30;

/** A standing queue's excess over the target is drained in about this long (ms). */
const DRAIN_MS = 500;
/** Draining never paces below this share of the delivery rate. */
const MIN_DRAIN_GAIN = 0.8;

/** Never pace a path below this (100 kbit/s): a path that is up carries at least probes. */
export const MIN_RATE_BYTES_PER_SECOND = 12_500;

export class RateEstimator {
  /** Estimated capacity, bytes per second. */
  rate: number;
  /** Smoothed delivery rate (what actually arrived), bytes per second; 0 before samples. */
  delivery = 0;
  /** Samples in which the sender offered more than the path delivered. */
  saturatedSamples = 0;
  readonly saturationRatio: number;
  readonly lossSaturation: number;
  #samples = 0;

  /**
   * @param seedBytesPerSecond the starting estimate (configured rate, or a default)
   * @param saturationRatio arrival span / send span above this means the path was the limit
   * @param lossSaturation loss in an interval above this means the path was the limit
   */
  constructor(seedBytesPerSecond: number, saturationRatio = 1.05, lossSaturation = 0.1) {
    if (!(seedBytesPerSecond > 0 && seedBytesPerSecond < Infinity)) {
      throw new RangeError(`rate seed must be a positive number, got ${seedBytesPerSecond}`);
    }
    if (!(saturationRatio > 1)) {
      throw new RangeError(`saturation ratio must be > 1, got ${saturationRatio}`);
    }
    this.rate = Math.max(seedBytesPerSecond, MIN_RATE_BYTES_PER_SECOND);
    this.saturationRatio = saturationRatio;
    this.lossSaturation = lossSaturation;
  }

  /**
   * One report interval: `deliveredBytes` arrived over `deliverMs` (receiver's clock, between
   * the marker packets' arrivals), the same packets spanned `pacedMs` of paced departures and
   * `realMs` of real ones (sender's clock), and `lossFraction` of those sent were lost.
   * `slackMs`: how much the path's delay varies on its own (jitter); a stretch within it says
   * nothing about saturation (an LTE link's ±20 ms would otherwise make every 50 ms interval
   * look saturated and sink the estimate). `queueMs`: the queue that stood in the link through
   * the interval (StandingQueue.take).
   */
  add(
    deliveredBytes: number,
    deliverMs: number,
    pacedMs: number,
    realMs: number,
    lossFraction: number,
    slackMs = 0,
    queueMs = 0,
  ): void {
    if (!(deliverMs > 0) || !(deliveredBytes >= 0)) return;
    const d = (deliveredBytes * 1000) / deliverMs;
    this.delivery = this.#samples === 0 ? d : this.delivery + (d - this.delivery) / 4;
    this.#samples++;
    const sendMs = Math.max(pacedMs, realMs);
    const stretched = sendMs > 0 && deliverMs > sendMs * this.saturationRatio + slackMs;
    const queued = queueMs > QUEUE_TARGET_MS + slackMs;
    // Only a path that was offered a good part of its estimate can show its capacity: on an
    // idle one (probes only) a stretched or lossy interval would drag the estimate down to the
    // probes' trickle.
    // What was sent: what arrived plus what was lost.
    const sent = lossFraction < 1 ? deliveredBytes / (1 - lossFraction) : Infinity;
    const offered = sendMs > 0 ? (sent * 1000) / sendMs : d;
    const loaded = offered >= this.rate * LOADED_FRACTION;
    if (loaded && (stretched || queued || lossFraction > this.lossSaturation)) {
      this.saturatedSamples++;
      const excessMs = queued ? queueMs - QUEUE_TARGET_MS - slackMs : 0;
      const gain = Math.max(MIN_DRAIN_GAIN, 1 - excessMs / DRAIN_MS);
      this.rate += (d * gain - this.rate) / 4;
    } else {
      const leftAt = realMs > 0 ? (sent * 1000) / realMs : Infinity;
      if (Math.min(d, leftAt) > this.rate) this.rate = Math.min(d, leftAt);
    }
    if (this.rate < MIN_RATE_BYTES_PER_SECOND) this.rate = MIN_RATE_BYTES_PER_SECOND;
  }
}
