/**
 * What the benchmarks share to summarise repeated runs: the median (the upper middle of an even
 * count), other percentiles and the check of `--repeat`.
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

/**
 * The value at fraction `p` (0-1) of `values` sorted, by nearest rank: the one at index
 * floor(p x count), so 0.5 is the median above. NaN when there are none.
 */
export function percentile(values: number[], p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile wants 0-1, got ${p}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Throws unless `repeat` is a whole number 1-20 (`bench`: the name in the message). */
export function checkRepeat(bench: string, repeat: number, given: unknown): void {
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
    throw new RangeError(`bench ${bench}: --repeat wants a whole number 1-20, got ${given}`);
  }
}
