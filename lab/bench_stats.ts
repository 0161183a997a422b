/**
 * What the benchmarks share to summarise repeated runs: the median (the upper middle of an even
 * count) and the check of `--repeat`.
 */

/** The median of `values`; NaN when there are none. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  return medianBy(values, (v) => v);
}

/** The item whose `key` is the median (each run's other figures stay with it). */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)];
}

/** Throws unless `repeat` is a whole number 1-20 (`bench`: the name in the message). */
export function checkRepeat(bench: string, repeat: number, given: unknown): void {
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
    throw new RangeError(`bench ${bench}: --repeat wants a whole number 1-20, got ${given}`);
  }
}
