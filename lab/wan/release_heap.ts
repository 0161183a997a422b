/**
 * The packets held by a delay line, ordered by release time: a binary min-heap of slot numbers
 * in preallocated typed arrays (no allocation per packet). Equal times leave in the order they
 * were pushed, so a line whose release times never decrease is a plain FIFO.
 */
export class ReleaseHeap {
  /** Most entries held at once; slot numbers must be below it. */
  readonly capacity: number;
  readonly #heap: Int32Array;
  /** Release time of each slot (indexed by slot number, not heap position). */
  readonly #time: Float64Array;
  /** Push order of each slot: the tie-break for equal times. */
  readonly #order: Float64Array;
  #size = 0;
  #pushes = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`release heap capacity must be a positive integer: ${capacity}`);
    }
    this.capacity = capacity;
    this.#heap = new Int32Array(capacity);
    this.#time = new Float64Array(capacity);
    this.#order = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Release time of the earliest entry, Infinity when empty. */
  peekTime(): number {
    return this.#size === 0 ? Infinity : this.#time[this.#heap[0]];
  }

  /** Adds `slot` (0..capacity-1, not already held) to leave at `time`. False when full. */
  push(slot: number, time: number): boolean {
    if (this.#size === this.capacity) return false;
    this.#time[slot] = time;
    this.#order[slot] = this.#pushes++;
    let i = this.#size++;
    const heap = this.#heap;
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(slot, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
    return true;
  }

  /** Removes and returns the earliest slot, or -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const heap = this.#heap;
    const top = heap[0];
    const last = heap[--this.#size];
    const n = this.#size;
    let i = 0;
    // Sift the last entry down from the root.
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#before(heap[right], heap[left]) ? right : left;
      if (!this.#before(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    if (n > 0) heap[i] = last;
    return top;
  }

  #before(a: number, b: number): boolean {
    const ta = this.#time[a];
    const tb = this.#time[b];
    return ta < tb || (ta === tb && this.#order[a] < this.#order[b]);
  }
}
