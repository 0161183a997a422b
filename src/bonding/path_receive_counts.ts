/**
 * The receiver's side of per-path loss and rate: for each path, cumulative packets and bytes
 * received and the highest transport counter seen under the current keypair. The RX worker
 * counts every authenticated packet (`count`, per packet, no allocation); the control plane
 * turns the counts into a receive-report frame every report interval (`report`).
 *
 * Cumulative counts (not per-interval ones) make a lost report harmless: the sender differences
 * whichever two reports it gets. Over a SharedArrayBuffer both threads share the counts; each
 * is one aligned number, and a report that mixes a packet's count with the previous packet's
 * highest counter is off by one packet for one interval, which the next report corrects.
 */
import type { ReceiveReport, ReportEntry } from "./control_frame_types.ts";
import { MAX_PATHS } from "./path_table.ts";

export class PathReceiveCounts {
  readonly paths: number;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  /** Arrival time of the highest counter, per path. */
  readonly highestAt: Float64Array;
  /**
   * Highest counter + 1 per path; 0 until the path delivers under the current keypair, so a
   * fresh (zeroed) SharedArrayBuffer is already a valid empty state.
   */
  readonly #highestPlusOne: Float64Array;

  static bytesFor(paths: number): number {
    return 4 * 8 * paths;
  }

  constructor(paths: number, shared?: SharedArrayBuffer) {
    if (!Number.isInteger(paths) || paths < 1 || paths > MAX_PATHS) {
      throw new RangeError(`receive counts need 1..32 paths, got ${paths}`);
    }
    const need = PathReceiveCounts.bytesFor(paths);
    const buf = shared ?? new ArrayBuffer(need);
    if (buf.byteLength < need) {
      throw new RangeError(`receive counts for ${paths} paths need ${need} bytes`);
    }
    this.paths = paths;
    this.packets = new Float64Array(buf, 0, paths);
    this.bytes = new Float64Array(buf, 8 * paths, paths);
    this.#highestPlusOne = new Float64Array(buf, 16 * paths, paths);
    this.highestAt = new Float64Array(buf, 24 * paths, paths);
  }

  /** Highest counter seen on `path` under this keypair; -1 if none. */
  highest(path: number): number {
    return this.#highestPlusOne[path] - 1;
  }

  /**
   * One authenticated packet of `bytes` on `path` at `now`. Bytes are the transport datagram
   * (UDP payload), the same measure the sender's PathSendLog records. `counted` false: the
   * packet is left out of `packets`, which measure loss (a TCP split subflow's; the sender's
   * log does the same), but its bytes and counter still count for rate and liveness.
   */
  count(now: number, path: number, counter: number, bytes: number, counted = true): void {
    if ((path >>> 0) !== path || path >= this.paths) return;
    if (counted) this.packets[path]++;
    this.bytes[path] += bytes;
    if (counter >= this.#highestPlusOne[path]) {
      this.#highestPlusOne[path] = counter + 1;
      this.highestAt[path] = now;
    }
  }

  /** A new keypair: counters restart, the cumulative totals run on. */
  newKeypair(): void {
    this.#highestPlusOne.fill(0);
  }

  /**
   * A receive report of every path that has delivered under this keypair, `pathIds[p]` being
   * the id both sides know path p by.
   */
  report(now: number, pathIds: ArrayLike<number>): ReceiveReport {
    const entries: ReportEntry[] = [];
    for (let p = 0; p < this.paths; p++) {
      const plusOne = this.#highestPlusOne[p];
      if (plusOne === 0) continue;
      entries.push({
        pathId: pathIds[p],
        packets: this.packets[p],
        bytes: this.bytes[p],
        highestCounter: plusOne - 1,
        highestAt: this.highestAt[p],
      });
    }
    return { type: "receive-report", reportTime: now, entries };
  }
}
