/**
 * Round-trip time of one path from probe echoes: smoothed RTT and RTT variation as RFC 6298
 * section 2 computes them (gains 1/8 and 1/4), the minimum seen (the path's base delay, without
 * queueing), and jitter as RFC 3550 section 6.4.1 smooths the difference between consecutive
 * samples (gain 1/16). All in milliseconds.
 */
export class RttEstimator {
  /** Smoothed RTT; NaN until the first sample. */
  srtt = NaN;
  rttvar = NaN;
  min = Infinity;
  jitter = 0;
  samples = 0;
  #last = NaN;

  add(rtt: number): void {
    if (!(rtt >= 0 && rtt < Infinity)) return;
    if (this.samples === 0) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar += (Math.abs(this.srtt - rtt) - this.rttvar) / 4;
      this.srtt += (rtt - this.srtt) / 8;
      this.jitter += (Math.abs(rtt - this.#last) - this.jitter) / 16;
    }
    this.#last = rtt;
    if (rtt < this.min) this.min = rtt;
    this.samples++;
  }

  /**
   * How long an answer may take before it counts as missing: srtt + 4 * rttvar (RFC 6298's
   * RTO without its 1 s floor, which is for retransmission, not liveness) plus `margin`.
   * Infinity before any sample.
   */
  timeout(margin: number): number {
    return this.samples === 0 ? Infinity : this.srtt + 4 * this.rttvar + margin;
  }
}
