/**
 * One direction of an emulated WAN, without I/O: packets go in with their arrival time and
 * come out at their release time, after the link's rate limit, queue, loss and delay.
 *
 * For each packet, in order:
 *   1. link down → dropped;
 *   2. loss model → dropped;
 *   3. rate limit: the packet's transmission starts when the previous one's has finished and
 *      lasts size / rate; the bytes still waiting to be sent are the queue, and a packet that
 *      would make it exceed its limit is dropped (tail drop);
 *   4. propagation: it arrives delay ± jitter after its transmission ends; without `reorder`
 *      never before the packet ahead of it;
 *   5. at release, a link that went down meanwhile loses it too (a pulled cable loses what is
 *      in flight).
 *
 * Packets live in a fixed pool of slots (read straight into by the caller, written straight
 * out), so the hot path allocates nothing, awaits nothing and throws nothing: a full pool is
 * counted and the packet dropped.
 */
import { LossModel } from "./loss_model.ts";
import { ReleaseHeap } from "./release_heap.ts";
import type { RandomSource } from "./seeded_random.ts";
import {
  bytesPerMs,
  DEFAULT_DIRECTION,
  type DirectionSettings,
  queueLimitBytes,
} from "./wan_settings.ts";

/** Where released packets go (a TunDevice in the emulator, an array in tests). */
export interface PacketOutput {
  /** Writes the first `length` bytes of `buf` as one packet; a negative result is an error. */
  write(buf: Uint8Array, length: number): number;
}

/** Counters of one direction; every packet offered ends in exactly one of them (or is held). */
export interface DirectionStats {
  /** Packets offered to the line. */
  received: number;
  /** Packets written out. */
  delivered: number;
  deliveredBytes: number;
  /** Dropped because the link was down (on arrival or while in flight). */
  lostDown: number;
  /** Dropped by the loss model. */
  lostRandom: number;
  /** Dropped because the queue in front of the rate limit was full. */
  lostQueue: number;
  /** Dropped because every slot of the pool was held. */
  lostOverflow: number;
  /** Released, but the write failed. */
  writeErrors: number;
  /** Packets held now. */
  held: number;
}

export function emptyStats(): DirectionStats {
  return {
    received: 0,
    delivered: 0,
    deliveredBytes: 0,
    lostDown: 0,
    lostRandom: 0,
    lostQueue: 0,
    lostOverflow: 0,
    writeErrors: 0,
    held: 0,
  };
}

export interface DelayLineOptions {
  /** Packets the line can hold at once. */
  slots: number;
  /** Largest packet, bytes (the TUN device's MTU). */
  slotSize: number;
  /** Drives the loss model and the jitter. */
  random: RandomSource;
}

export class DelayLine {
  readonly stats: DirectionStats = emptyStats();
  readonly #buffers: Uint8Array[];
  readonly #lengths: Int32Array;
  /** Free slot numbers, a stack: `#free[0.. #freeCount-1]`. */
  readonly #free: Int32Array;
  #freeCount: number;
  readonly #heap: ReleaseHeap;
  readonly #loss: LossModel;
  readonly #random: RandomSource;
  #settings: DirectionSettings = { ...DEFAULT_DIRECTION };
  #bytesPerMs = 0;
  #queueLimit = 0;
  /** When the rate limit has finished sending everything accepted so far. */
  #busyUntil = -Infinity;
  /** Release time of the packet accepted last (FIFO lines release nothing before it). */
  #lastRelease = -Infinity;

  constructor(opts: DelayLineOptions) {
    if (!Number.isInteger(opts.slots) || opts.slots < 1) {
      throw new RangeError(`delay line slots must be a positive integer: ${opts.slots}`);
    }
    if (!Number.isInteger(opts.slotSize) || opts.slotSize < 68) {
      throw new RangeError(`delay line slot size must be an integer >= 68: ${opts.slotSize}`);
    }
    const memory = new Uint8Array(opts.slots * opts.slotSize);
    this.#buffers = [];
    for (let i = 0; i < opts.slots; i++) {
      this.#buffers.push(memory.subarray(i * opts.slotSize, (i + 1) * opts.slotSize));
    }
    this.#lengths = new Int32Array(opts.slots);
    this.#free = new Int32Array(opts.slots);
    // Highest slot on top: slot 0 is used first, which keeps tests readable.
    for (let i = 0; i < opts.slots; i++) this.#free[i] = opts.slots - 1 - i;
    this.#freeCount = opts.slots;
    this.#heap = new ReleaseHeap(opts.slots);
    this.#random = opts.random;
    this.#loss = new LossModel(opts.random);
  }

  get settings(): Readonly<DirectionSettings> {
    return this.#settings;
  }

  /** New settings apply to packets arriving from now on; packets held keep their times. */
  configure(settings: DirectionSettings): void {
    this.#settings = { ...settings };
    this.#bytesPerMs = bytesPerMs(settings.rateMbps);
    this.#queueLimit = queueLimitBytes(settings);
    this.#loss.configure(settings.lossPercent, settings.burstLength);
  }

  /** The buffer to read the next packet into, or null when every slot is held. */
  nextBuffer(): Uint8Array | null {
    return this.#freeCount === 0 ? null : this.#buffers[this.#free[this.#freeCount - 1]];
  }

  /** Counts a packet that could not be read because `nextBuffer()` was null. */
  overflow(): void {
    this.stats.received++;
    this.stats.lostOverflow++;
  }

  /**
   * Takes (or drops) the packet of `length` bytes just read into `nextBuffer()`, which
   * arrived at `now` (ms, monotonic).
   */
  admit(now: number, length: number): void {
    const stats = this.stats;
    stats.received++;
    if (this.#freeCount === 0) {
      stats.lostOverflow++;
      return;
    }
    const s = this.#settings;
    if (s.down) {
      stats.lostDown++;
      return;
    }
    if (this.#loss.drop()) {
      stats.lostRandom++;
      return;
    }
    let sent = now;
    if (this.#bytesPerMs > 0) {
      const start = this.#busyUntil > now ? this.#busyUntil : now;
      const queued = (start - now) * this.#bytesPerMs;
      if (queued + length > this.#queueLimit) {
        stats.lostQueue++;
        return;
      }
      sent = start + length / this.#bytesPerMs;
      this.#busyUntil = sent;
    }
    let delay = s.delayMs;
    if (s.jitterMs > 0) {
      delay += (2 * this.#random() - 1) * s.jitterMs;
      if (delay < 0) delay = 0;
    }
    let release = sent + delay;
    if (!s.reorder) {
      if (release < this.#lastRelease) release = this.#lastRelease;
      this.#lastRelease = release;
    }
    const slot = this.#free[--this.#freeCount];
    this.#lengths[slot] = length;
    this.#heap.push(slot, release);
    stats.held++;
  }

  /** When the next packet is due (ms), Infinity when none is held. */
  nextRelease(): number {
    return this.#heap.peekTime();
  }

  /** Writes every packet due at or before `now` to `out`; returns how many left the line. */
  release(now: number, out: PacketOutput): number {
    const stats = this.stats;
    const heap = this.#heap;
    let count = 0;
    while (heap.peekTime() <= now) {
      const slot = heap.pop();
      const length = this.#lengths[slot];
      if (this.#settings.down) {
        stats.lostDown++;
      } else if (out.write(this.#buffers[slot], length) < 0) {
        stats.writeErrors++;
      } else {
        stats.delivered++;
        stats.deliveredBytes += length;
      }
      this.#free[this.#freeCount++] = slot;
      stats.held--;
      count++;
    }
    return count;
  }
}
