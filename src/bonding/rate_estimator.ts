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
 */

/** A sample is evidence of saturation only if the sender offered at least this share of the
 * estimate during it. */
const LOADED_FRACTION = 0.5;

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
   * look saturated and sink the estimate).
   */
  add(
    deliveredBytes: number,
    deliverMs: number,
    pacedMs: number,
    realMs: number,
    lossFraction: number,
    slackMs = 0,
  ): void {
    if (!(deliverMs > 0) || !(deliveredBytes >= 0)) return;
    const d = (deliveredBytes * 1000) / deliverMs;
    this.delivery = this.#samples === 0 ? d : this.delivery + (d - this.delivery) / 4;
    this.#samples++;
    const sendMs = Math.max(pacedMs, realMs);
    const stretched = sendMs > 0 && deliverMs > sendMs * this.saturationRatio + slackMs;
    // Only a path that was offered a good part of its estimate can show its capacity: on an
    // idle one (probes only) a stretched or lossy interval would drag the estimate down to the
    // probes' trickle.
    // What was sent: what arrived plus what was lost.
    const sent = lossFraction < 1 ? deliveredBytes / (1 - lossFraction) : Infinity;
    const offered = sendMs > 0 ? (sent * 1000) / sendMs : d;
    const loaded = offered >= this.rate * LOADED_FRACTION;
    if (loaded && (stretched || lossFraction > this.lossSaturation)) {
      this.saturatedSamples++;
      this.rate += (d - this.rate) / 4;
    } else {
      const leftAt = realMs > 0 ? (sent * 1000) / realMs : Infinity;
      if (Math.min(d, leftAt) > this.rate) this.rate = Math.min(d, leftAt);
    }
    if (this.rate < MIN_RATE_BYTES_PER_SECOND) this.rate = MIN_RATE_BYTES_PER_SECOND;
  }
}
