/**
 * Settings and requests passed from the emulator's main thread to its packet Worker through
 * shared memory, so the Worker never has to return to its event loop to hear of them: in a
 * Deno Worker even a zero timeout takes about two milliseconds, long enough to delay every
 * packet held at that moment. The main thread writes, bumps a sequence number and signals the
 * Worker's wake eventfd; the Worker compares sequence numbers after each wake-up. Answers go
 * back by postMessage (the main thread does have an event loop).
 *
 * One writer at a time: the main thread publishes new settings only after the Worker has
 * acknowledged the previous ones, so the Worker never reads half-written settings.
 */
import { DIRECTIONS, type DirectionSettings, type LinkSettings } from "./wan_settings.ts";

/** The numeric image of DirectionSettings, in this order (booleans as 0/1). */
const FIELDS = [
  "rateMbps",
  "delayMs",
  "jitterMs",
  "lossPercent",
  "burstLength",
  "queueMs",
  "queueBytes",
  "reorder",
  "down",
] as const satisfies readonly (keyof DirectionSettings)[];

const SETTINGS_SEQ = 0;
const STATS_SEQ = 1;
const STOP = 2;
const SLOTS = 3;

export class ControlBlock {
  readonly buffer: SharedArrayBuffer;
  readonly #slots: Int32Array;
  readonly #settings: Float64Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#slots = new Int32Array(buffer, 0, SLOTS);
    // Float64Array needs an 8-byte aligned offset: the slots take 12 bytes, round up to 16.
    this.#settings = new Float64Array(buffer, 16, FIELDS.length * DIRECTIONS.length);
  }

  static create(): ControlBlock {
    return new ControlBlock(new SharedArrayBuffer(16 + 8 * FIELDS.length * DIRECTIONS.length));
  }

  /** The same block, seen from another thread. */
  static attach(buffer: SharedArrayBuffer): ControlBlock {
    return new ControlBlock(buffer);
  }

  /** Main thread: writes `settings`, returns the sequence number the Worker will acknowledge. */
  publishSettings(settings: LinkSettings): number {
    DIRECTIONS.forEach((dir, d) => {
      FIELDS.forEach((field, f) => {
        this.#settings[d * FIELDS.length + f] = Number(settings[dir][field]);
      });
    });
    return Atomics.add(this.#slots, SETTINGS_SEQ, 1) + 1;
  }

  /** Main thread: asks for counters; returns the request's sequence number. */
  requestStats(): number {
    return Atomics.add(this.#slots, STATS_SEQ, 1) + 1;
  }

  requestStop(): void {
    Atomics.store(this.#slots, STOP, 1);
  }

  /** Worker: the sequence number of the latest settings. */
  settingsSeq(): number {
    return Atomics.load(this.#slots, SETTINGS_SEQ);
  }

  /** Worker: the latest settings. */
  readSettings(): LinkSettings {
    const read = (d: number): DirectionSettings => {
      const v = (f: number) => this.#settings[d * FIELDS.length + f];
      return {
        rateMbps: v(0),
        delayMs: v(1),
        jitterMs: v(2),
        lossPercent: v(3),
        burstLength: v(4),
        queueMs: v(5),
        queueBytes: v(6),
        reorder: v(7) !== 0,
        down: v(8) !== 0,
      };
    };
    return { down: read(DIRECTIONS.indexOf("down")), up: read(DIRECTIONS.indexOf("up")) };
  }

  /** Worker: the sequence number of the latest stats request. */
  statsSeq(): number {
    return Atomics.load(this.#slots, STATS_SEQ);
  }

  stopRequested(): boolean {
    return Atomics.load(this.#slots, STOP) !== 0;
  }
}
