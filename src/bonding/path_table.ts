/**
 * What the schedulers know about each path, in flat typed arrays: the control plane writes it
 * (from PathHealth, a few times a second), the TX worker reads it for every packet. Over a
 * SharedArrayBuffer both threads see one table; each field is a single aligned number written
 * whole, and a scheduler needs no consistency across fields, so no lock is taken.
 *
 * Entries are numbered 0..capacity-1 in configured order (failover picks the first usable one);
 * an unused entry stays down. At most 32 entries: schedulers return paths as a bitmask.
 */
import {
  PATH_DEGRADED,
  PATH_DOWN,
  PATH_UP,
  type PathHealth,
  type PathState,
} from "./path_health.ts";

export const MAX_PATHS = 32;

export class PathTable {
  readonly capacity: number;
  /** PATH_DOWN, PATH_DEGRADED or PATH_UP. */
  readonly state: Int32Array;
  /** Capacity estimate, bytes per second (pacing runs a little above it). */
  readonly rate: Float64Array;
  /** One-way delay estimate, ms. */
  readonly owd: Float64Array;
  /** Static weight from the configuration (pinned mode). */
  readonly weight: Float64Array;
  /** Stable identity of the path (its link id): pinned hashing keys on it, not the index. */
  readonly id: Int32Array;
  /** Fraction of the path's datagrams lost, 0..1 (redundant mode sizes its copies by it). */
  readonly loss: Float64Array;

  static bytesFor(capacity: number): number {
    return capacity * (8 + 8 + 8 + 8 + 4 + 4);
  }

  /**
   * @param shared a SharedArrayBuffer of `bytesFor(capacity)` bytes to share with the TX worker.
   *   Over shared memory nothing is initialised (the second view must not reset the first's
   *   values): the control plane sets every entry's weight and id with `set` before use.
   */
  constructor(capacity: number, shared?: SharedArrayBuffer) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_PATHS) {
      throw new RangeError(`path table capacity must be an integer in 1..32, got ${capacity}`);
    }
    const need = PathTable.bytesFor(capacity);
    const buf = shared ?? new ArrayBuffer(need);
    if (buf.byteLength < need) {
      throw new RangeError(`path table of ${capacity} needs ${need} bytes, got ${buf.byteLength}`);
    }
    this.capacity = capacity;
    let at = 0;
    this.rate = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.owd = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.weight = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.loss = new Float64Array(buf, at, capacity);
    at += 8 * capacity;
    this.state = new Int32Array(buf, at, capacity);
    at += 4 * capacity;
    this.id = new Int32Array(buf, at, capacity);
    if (!shared) {
      this.weight.fill(1);
      for (let p = 0; p < capacity; p++) this.id[p] = p;
    }
  }

  /** Sets one path's fields; used by the control plane and by tests. */
  set(
    p: number,
    fields: {
      state?: PathState;
      rate?: number;
      owd?: number;
      weight?: number;
      id?: number;
      loss?: number;
    },
  ): void {
    if (fields.state !== undefined) this.state[p] = fields.state;
    if (fields.rate !== undefined) this.rate[p] = fields.rate;
    if (fields.owd !== undefined) this.owd[p] = fields.owd;
    if (fields.weight !== undefined) this.weight[p] = fields.weight;
    if (fields.id !== undefined) this.id[p] = fields.id;
    if (fields.loss !== undefined) this.loss[p] = fields.loss;
  }

  /** Copies what a path's health has measured by `now` into entry `p`. */
  publish(p: number, health: PathHealth, now: number): void {
    this.state[p] = health.state;
    this.rate[p] = health.rate.rate;
    this.owd[p] = health.owdMs;
    this.loss[p] = health.loss.rate(now);
  }

  /**
   * Paths a packet may use: the up ones, or if none is up the degraded ones (a degraded path
   * beats no path). 0 when every path is down.
   */
  usableMask(): number {
    let up = 0, degraded = 0;
    for (let p = 0; p < this.capacity; p++) {
      const s = this.state[p];
      if (s === PATH_UP) up |= 1 << p;
      else if (s === PATH_DEGRADED) degraded |= 1 << p;
    }
    return up !== 0 ? up : degraded;
  }

  /** Every path not down. */
  aliveMask(): number {
    let mask = 0;
    for (let p = 0; p < this.capacity; p++) if (this.state[p] !== PATH_DOWN) mask |= 1 << p;
    return mask;
  }
}
