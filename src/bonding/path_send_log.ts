/**
 * What was sent on one path, for turning the receiver's reports into loss and rates.
 *
 * A receive report says "path p: N packets and B bytes received so far, highest counter H". The
 * sender looks H up here: how many packets and bytes it had sent on p up to and including H,
 * and when. Differences between two reports then give loss over exactly the packets the
 * receiver could have seen (nothing still in flight above H is counted as lost) and the send
 * rate over the same span. Loss is thus measured per path and never inferred from gaps in the
 * global counter, which bonding reorders by design.
 *
 * A ring of the last `capacity` packets: counter, cumulative bytes, send time (the paced
 * departure the scheduler gave it) and when it really left (the batch's clock). Per path the TX
 * side sends in counter order, so the ring is sorted by counter within a keypair; `reset()` marks
 * a new keypair (counters restart at 0) while the cumulative totals run on.
 *
 * Threads: the TX worker records, the control plane looks up. Built over a SharedArrayBuffer
 * both sides see the same log: the writer fills an entry, then publishes the new total with an
 * atomic store; the reader loads it atomically first, so every entry below that total is
 * complete, and it skips the oldest GUARD entries, which the writer may be overwriting.
 */

/** Entries the reader leaves alone at the old end of a full ring (the writer's next victims). */
const GUARD = 64;
const HEADER_F64 = 4; // total, epochStart, bytes, counted
const H_TOTAL = 0;
const H_EPOCH = 1;
const H_BYTES = 2;
const H_COUNTED = 3;

export class PathSendLog {
  readonly capacity: number;
  /** Cumulative packets sent through the entry found by the last successful `lookup`. */
  foundPackets = 0;
  /** Cumulative bytes sent through that entry. */
  foundBytes = 0;
  /** When that entry was sent: its paced departure (the sender's clock). */
  foundTime = 0;
  /** When that entry really left (at or before its paced departure). */
  foundRealTime = 0;
  /** Cumulative packets through that entry that count for loss (see `record`). */
  foundCounted = 0;

  readonly #header: Float64Array;
  readonly #publish: Int32Array;
  readonly #counter: Float64Array;
  readonly #cumBytes: Float64Array;
  readonly #time: Float64Array;
  readonly #realTime: Float64Array;
  readonly #cumCounted: Float64Array;

  /** Bytes of shared memory a log of `capacity` entries needs. */
  static bytesFor(capacity: number): number {
    return 8 * HEADER_F64 + 8 + 40 * capacity;
  }

  /**
   * @param capacity entries kept; must cover the packets sent on the path in one report
   *   interval plus the path's round trip (at 100 kpps and 100 ms: 10 000)
   * @param shared a SharedArrayBuffer of `bytesFor(capacity)` bytes to share the log with
   *   another thread; omitted, the log lives in private memory
   */
  constructor(capacity: number, shared?: SharedArrayBuffer) {
    if (!Number.isInteger(capacity) || capacity < 2 * GUARD) {
      throw new RangeError(`send log capacity must be an integer >= ${2 * GUARD}, got ${capacity}`);
    }
    const need = PathSendLog.bytesFor(capacity);
    const buf = shared ?? new ArrayBuffer(need);
    if (buf.byteLength < need) {
      throw new RangeError(
        `send log of ${capacity} entries needs ${need} bytes, got ${buf.byteLength}`,
      );
    }
    this.capacity = capacity;
    let at = 0;
    this.#header = new Float64Array(buf, at, HEADER_F64);
    at += 8 * HEADER_F64;
    this.#publish = new Int32Array(buf, at, 2);
    at += 8;
    this.#counter = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.#cumBytes = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.#time = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.#realTime = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.#cumCounted = new Float64Array(buf, at, capacity);
  }

  /** Cumulative packets recorded. */
  get packets(): number {
    return this.#header[H_TOTAL];
  }

  /** Cumulative bytes recorded. */
  get bytes(): number {
    return this.#header[H_BYTES];
  }

  /**
   * One packet sent on this path: its transport counter, size on the wire, paced departure
   * `at`, and `now`, when it really left (the same when it was not paced). `counted` false: it
   * takes no part in the path's loss (a TCP split subflow's packet, whose own congestion
   * control drives the path into loss; the receiver leaves it out of its count the same way).
   */
  record(counter: number, bytes: number, at: number, now = at, counted = true): void {
    const h = this.#header;
    const total = h[H_TOTAL];
    const slot = total % this.capacity;
    const cum = h[H_BYTES] + bytes;
    const cumCounted = h[H_COUNTED] + (counted ? 1 : 0);
    this.#counter[slot] = counter;
    this.#cumBytes[slot] = cum;
    this.#time[slot] = at;
    this.#realTime[slot] = now;
    this.#cumCounted[slot] = cumCounted;
    h[H_BYTES] = cum;
    h[H_COUNTED] = cumCounted;
    h[H_TOTAL] = total + 1;
    // Publishes the entry (and the header) to a reader on another thread.
    Atomics.store(this.#publish, 0, (total + 1) | 0);
  }

  /** A new keypair: counters restart, so lookups only search entries recorded from now on. */
  reset(): void {
    this.#header[H_EPOCH] = this.#header[H_TOTAL];
    Atomics.store(this.#publish, 1, this.#publish[1] + 1);
  }

  /**
   * Finds the packet sent with transport counter `counter` under the current keypair and sets
   * `foundPackets`, `foundBytes`, `foundTime`, `foundRealTime`, `foundCounted`. False when no
   * such packet is in the log: sent on
   * another path, under an earlier keypair, or too long ago.
   */
  lookup(counter: number): boolean {
    Atomics.load(this.#publish, 0);
    const h = this.#header;
    const total = h[H_TOTAL];
    const full = total > this.capacity;
    let lo = Math.max(h[H_EPOCH], full ? total - this.capacity + GUARD : 0);
    let hi = total - 1;
    const c = this.#counter;
    const cap = this.capacity;
    // Last entry with a counter <= `counter`, by binary search on absolute entry numbers.
    let found = -1;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (c[mid % cap] <= counter) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0 || c[found % cap] !== counter) return false;
    this.foundPackets = found + 1;
    this.foundBytes = this.#cumBytes[found % cap];
    this.foundTime = this.#time[found % cap];
    this.foundRealTime = this.#realTime[found % cap];
    this.foundCounted = this.#cumCounted[found % cap];
    return true;
  }
}
