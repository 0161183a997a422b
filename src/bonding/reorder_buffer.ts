/**
 * The receiver's reorder buffer on the transport counter, which the bonded sender uses as a
 * global sequence number across all paths. Packets come out in strictly increasing counter
 * order; the buffer never waits for a lost packet longer than it must:
 *
 *  - the packet at the head (`next`) is released as soon as it is there;
 *  - a missing head is declared lost as soon as every active path has delivered a counter
 *    beyond it (each path is FIFO, so nothing can fill the gap any more), where a path is
 *    active if the caller lists it and it delivered something in the last `pathIdleMs`;
 *  - or once the packet that has waited longest has waited `timeoutMs` (the caller sets it from
 *    the paths' delay spread and jitter, delay_spread.ts), so every buffered packet leaves
 *    within `timeoutMs` of its arrival;
 *  - a counter `capacity` or more ahead of the head pushes the oldest out (bounded memory).
 *
 * A packet behind the head whose gap was given up arrives late: it is passed on at once (out of
 * order: TCP takes a late segment far better than a lost one, and undoes the retransmission
 * it may have started), and the wait it was too late for is added to the timeout as
 * `extraMs`, which halves every `extraHalfLifeMs` without another late arrival (capped at
 * `maxExtraMs`): a timeout set from probes that misjudge the paths' real skew (queues the
 * probes did not see) corrects itself from the data. A copy of a packet already released or
 * passed on late is dropped. Duplicates (redundant mode) are normally dropped by the replay
 * filter before this; one that reaches a buffered slot is dropped here too.
 *
 * Memory is fixed at construction: `capacity` slots of `slotBytes` each, plus a ring recording
 * arrival order (for the oldest arrival in O(1)). Push and tick await nothing and throw nothing;
 * in-order packets are released straight from the caller's buffer, the others are copied once
 * into their slot (the copy's source view is the only object made per packet).
 *
 * Every authenticated counter must come through `push`, also those whose payload is not for
 * the TUN device (keepalives, control frames, packets dropped after decryption): push them with
 * length 0. They take their place in the order, so no gap waits for them, and nothing is
 * released for them.
 *
 * Counters restart at 0 with every keypair: on a new keypair the caller flushes the buffer and
 * resets it (packets still arriving under the old keypair bypass it).
 */

const EMPTY = new Uint8Array(0);

/** Receives each packet in order. The bytes are borrowed: valid only during the call. */
export type ReleaseFn = (buf: Uint8Array, offset: number, length: number) => void;

export interface ReorderBufferOptions {
  /** Packets held at most; also how far ahead of the head a counter may be. */
  capacity: number;
  /** Largest packet to hold, bytes (the tunnel MTU). */
  slotBytes: number;
  /** Paths numbered 0..paths-1, at most 32. */
  paths: number;
  /** Longest wait of a buffered packet, ms. @default 50 */
  timeoutMs?: number;
  /** A path silent this long no longer holds gaps open, ms. @default 1000 */
  pathIdleMs?: number;
  /** Ceiling of the timeout added after late arrivals, ms. @default 200 */
  maxExtraMs?: number;
  /** The added timeout halves after this long without a late arrival, ms. @default 10000 */
  extraHalfLifeMs?: number;
}

export interface ReorderStats {
  released: number;
  /** Counters pushed with length 0 (keepalives, control frames) that reached their turn. */
  skipped: number;
  /** Counters given up: gaps passed by every path, timed out, or pushed out by overflow. */
  lost: number;
  /** Arrived behind the head (its gap already given up, or a duplicate of a released one). */
  late: number;
  /** Of those, packets whose gap had been given up, passed on late (out of order). */
  lateReleased: number;
  /** Same counter as a packet still buffered. */
  duplicate: number;
  /** Times a counter far ahead forced the oldest out. */
  overflows: number;
  /** Larger than a slot while it had to be buffered: dropped. */
  oversize: number;
  /** Path number out of range: dropped. */
  badPath: number;
  /** Packets buffered now, and the most ever. */
  buffered: number;
  maxBuffered: number;
}

export class ReorderBuffer {
  readonly capacity: number;
  readonly slotBytes: number;
  readonly paths: number;
  readonly stats: ReorderStats = {
    released: 0,
    skipped: 0,
    lost: 0,
    late: 0,
    lateReleased: 0,
    duplicate: 0,
    overflows: 0,
    oversize: 0,
    badPath: 0,
    buffered: 0,
    maxBuffered: 0,
  };
  /** The next counter to release. */
  next = 0;
  /** Longest wait of a buffered packet, ms (set from the paths' delay spread). */
  timeoutMs: number;
  /** A path silent this long no longer holds gaps open, ms. */
  pathIdleMs: number;
  /** Bit p set: path p may still deliver (the control plane clears paths it knows are down). */
  activeMask: number;
  readonly maxExtraMs: number;
  readonly extraHalfLifeMs: number;
  /** Timeout added after late arrivals, as last raised, and when. */
  #extraMs = 0;
  #extraSince = 0;
  /** Per slot (counter % capacity): the last counter given up there and when, -1 if none. */
  readonly #lostCounter: Float64Array;
  readonly #lostAt: Float64Array;

  readonly #release: ReleaseFn;
  readonly #data: Uint8Array;
  readonly #slotCounter: Float64Array;
  readonly #slotLength: Int32Array;
  readonly #slotArrival: Float64Array;
  /** Counters in arrival order; entries whose slot moved on are skipped when they surface. */
  readonly #fifo: Float64Array;
  #fifoHead = 0;
  #fifoSize = 0;
  readonly #highest: Float64Array;
  readonly #lastArrival: Float64Array;

  constructor(options: ReorderBufferOptions, release: ReleaseFn) {
    const { capacity, slotBytes, paths } = options;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new RangeError(`reorder capacity must be an integer in 1..${1 << 20}, got ${capacity}`);
    }
    if (!Number.isInteger(slotBytes) || slotBytes < 1 || slotBytes > 65535) {
      throw new RangeError(`reorder slotBytes must be an integer in 1..65535, got ${slotBytes}`);
    }
    if (!Number.isInteger(paths) || paths < 1 || paths > 32) {
      throw new RangeError(`reorder paths must be an integer in 1..32, got ${paths}`);
    }
    this.capacity = capacity;
    this.slotBytes = slotBytes;
    this.paths = paths;
    this.timeoutMs = options.timeoutMs ?? 50;
    this.pathIdleMs = options.pathIdleMs ?? 1000;
    this.maxExtraMs = options.maxExtraMs ?? 200;
    this.extraHalfLifeMs = options.extraHalfLifeMs ?? 10_000;
    if (!(this.maxExtraMs >= 0) || !(this.extraHalfLifeMs > 0)) {
      throw new RangeError("reorder maxExtraMs must be >= 0 and extraHalfLifeMs > 0");
    }
    this.#lostCounter = new Float64Array(capacity).fill(-1);
    this.#lostAt = new Float64Array(capacity);
    this.activeMask = paths === 32 ? -1 : (1 << paths) - 1;
    this.#release = release;
    this.#data = new Uint8Array(capacity * slotBytes);
    this.#slotCounter = new Float64Array(capacity).fill(-1);
    this.#slotLength = new Int32Array(capacity);
    this.#slotArrival = new Float64Array(capacity);
    // Live entries are distinct counters within capacity of the oldest live one: 2x suffices.
    this.#fifo = new Float64Array(2 * capacity);
    this.#highest = new Float64Array(paths).fill(-1);
    this.#lastArrival = new Float64Array(paths).fill(-Infinity);
  }

  /** A packet that arrived on `path` with transport `counter`, at buf[offset, offset+length). */
  push(
    now: number,
    counter: number,
    path: number,
    buf: Uint8Array,
    offset: number,
    length: number,
  ): void {
    if ((path >>> 0) !== path || path >= this.paths) {
      this.stats.badPath++;
      return;
    }
    if (counter > this.#highest[path]) this.#highest[path] = counter;
    if (now > this.#lastArrival[path]) this.#lastArrival[path] = now;
    if (counter < this.next) {
      this.#late(now, counter, buf, offset, length);
      return;
    }
    if (counter >= this.next + this.capacity) this.#overflow(counter);
    if (counter === this.next) {
      if (length > 0) {
        this.#release(buf, offset, length);
        this.stats.released++;
      } else {
        this.stats.skipped++;
      }
      this.next++;
    } else {
      const slot = counter % this.capacity;
      if (this.#slotCounter[slot] === counter) {
        this.stats.duplicate++;
        return;
      }
      if (length > this.slotBytes) {
        this.stats.oversize++;
        return;
      }
      if (length > 0) this.#data.set(buf.subarray(offset, offset + length), slot * this.slotBytes);
      this.#slotCounter[slot] = counter;
      this.#slotLength[slot] = length;
      this.#slotArrival[slot] = now;
      this.#fifoPush(counter);
      const n = ++this.stats.buffered;
      if (n > this.stats.maxBuffered) this.stats.maxBuffered = n;
    }
    this.#drain(now);
  }

  /**
   * A counter whose packet took no place in the stream: it was passed on at once, outside the
   * order (a TCP split subflow's, which its own path keeps in order). Like a push of length 0,
   * it fills its place if it is still ahead; behind the head it is no late arrival: its gap was
   * no loss (un-counted), and its lateness teaches the timeout nothing.
   */
  pass(now: number, counter: number, path: number): void {
    if (counter >= this.next) {
      this.push(now, counter, path, EMPTY, 0, 0);
      return;
    }
    if ((path >>> 0) !== path || path >= this.paths) return;
    if (counter > this.#highest[path]) this.#highest[path] = counter;
    if (now > this.#lastArrival[path]) this.#lastArrival[path] = now;
    const slot = counter % this.capacity;
    if (this.#lostCounter[slot] === counter) {
      this.#lostCounter[slot] = -1;
      this.stats.lost--;
    }
  }

  /** Releases what timeouts and idle paths allow; call at `nextDeadline()`. */
  tick(now: number): void {
    this.#drain(now);
  }

  /**
   * When the oldest buffered packet times out; Infinity when nothing waits. With `now`, the
   * added timeout as of now (it only shrinks later, so ticking then is never too early).
   */
  nextDeadline(now = this.#extraSince): number {
    const oldest = this.#oldestArrival();
    return oldest === Infinity ? Infinity : oldest + this.timeoutMs + this.extraAt(now);
  }

  /** The timeout added after late arrivals, as of `now`, ms. */
  extraAt(now: number): number {
    if (this.#extraMs === 0) return 0;
    const halvings = Math.floor(Math.max(0, now - this.#extraSince) / this.extraHalfLifeMs);
    return halvings >= 30 ? 0 : this.#extraMs / 2 ** halvings;
  }

  /** A counter behind the head: passed on if its gap was given up, and the timeout learns. */
  #late(now: number, counter: number, buf: Uint8Array, offset: number, length: number): void {
    this.stats.late++;
    const slot = counter % this.capacity;
    if (this.#lostCounter[slot] !== counter) return;
    this.#lostCounter[slot] = -1;
    // It came this long after its gap was given up: the timeout was that much too short.
    const lateness = now - this.#lostAt[slot];
    if (lateness >= 0) {
      this.#extraMs = Math.min(this.maxExtraMs, this.extraAt(now) + lateness);
      this.#extraSince = now;
    }
    if (length > 0) {
      this.#release(buf, offset, length);
      this.stats.lateReleased++;
    }
  }

  /**
   * Gives up the head: a later arrival of it is late (see `#late`). `now` is NaN when the
   * timeout did not decide it (overflow, every path past it): its lateness teaches nothing.
   */
  #giveUp(now: number): void {
    const slot = this.next % this.capacity;
    this.#lostCounter[slot] = this.next;
    this.#lostAt[slot] = now;
    this.stats.lost++;
    this.next++;
  }

  /** Releases everything buffered, in order, giving up the gaps (a keypair is ending). */
  flush(): void {
    while (this.stats.buffered > 0) {
      if (!this.#releaseSlot()) this.stats.lost++;
      this.next++;
    }
  }

  /** Starts a new counter space at `next` (a new keypair); call `flush` first. */
  reset(next = 0): void {
    this.flush();
    this.next = next;
    this.#fifoHead = 0;
    this.#fifoSize = 0;
    this.#highest.fill(-1);
    this.#lastArrival.fill(-Infinity);
    this.#lostCounter.fill(-1);
  }

  /** Releases the head from its slot if it is buffered; false if it is missing. */
  #releaseSlot(): boolean {
    const slot = this.next % this.capacity;
    if (this.#slotCounter[slot] !== this.next) return false;
    this.#slotCounter[slot] = -1;
    this.stats.buffered--;
    const length = this.#slotLength[slot];
    if (length > 0) {
      this.#release(this.#data, slot * this.slotBytes, length);
      this.stats.released++;
    } else {
      this.stats.skipped++;
    }
    return true;
  }

  #drain(now: number): void {
    if (this.stats.buffered === 0) return;
    const passed = this.#lowestActiveHighest(now);
    while (true) {
      if (this.#releaseSlot()) {
        this.next++;
        continue;
      }
      if (this.stats.buffered === 0) return;
      if (passed > this.next) {
        // Every path is past it: a later arrival would mean a path reordered, not a short
        // timeout, so it teaches the timeout nothing.
        this.#giveUp(NaN);
        continue;
      }
      if (now - this.#oldestArrival() >= this.timeoutMs + this.extraAt(now)) {
        this.#giveUp(now);
        continue;
      }
      return;
    }
  }

  /**
   * The lowest of the active paths' highest counters: every counter below it has been passed
   * by all of them. Infinity when no path is active (nothing can fill a gap then).
   */
  #lowestActiveHighest(now: number): number {
    let low = Infinity;
    const mask = this.activeMask;
    for (let p = 0; p < this.paths; p++) {
      if (((mask >>> p) & 1) === 0 || now - this.#lastArrival[p] > this.pathIdleMs) continue;
      if (this.#highest[p] < low) low = this.#highest[p];
    }
    return low;
  }

  /** Forced release of the oldest counters until `counter` fits the window. */
  #overflow(counter: number): void {
    this.stats.overflows++;
    const target = counter - this.capacity + 1;
    while (this.next < target) {
      if (this.stats.buffered === 0) {
        this.stats.lost += target - this.next;
        this.next = target;
        return;
      }
      if (this.#releaseSlot()) this.next++;
      else this.#giveUp(NaN);
    }
  }

  #fifoPush(counter: number): void {
    const size = this.#fifo.length;
    this.#fifo[(this.#fifoHead + this.#fifoSize) % size] = counter;
    this.#fifoSize++;
  }

  /** Arrival time of the packet buffered longest; Infinity when none is. */
  #oldestArrival(): number {
    const fifo = this.#fifo;
    const size = fifo.length;
    while (this.#fifoSize > 0) {
      const c = fifo[this.#fifoHead];
      const slot = c % this.capacity;
      if (this.#slotCounter[slot] === c) return this.#slotArrival[slot];
      this.#fifoHead = (this.#fifoHead + 1) % size;
      this.#fifoSize--;
    }
    return Infinity;
  }
}
