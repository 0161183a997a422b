/**
 * A small seeded pseudo-random generator (Marsaglia's xorshift32) for the loss and jitter
 * models: reproducible in unit tests, no allocation per call, more than random enough to
 * decide which packet a WAN drops. Not for anything secret.
 */

/** Returns numbers in [0, 1). */
export type RandomSource = () => number;

const TWO_TO_32 = 4294967296;

/** A generator seeded with `seed` (any integer; 0 is replaced, xorshift never leaves 0). */
export function seededRandom(seed: number): RandomSource {
  let x = (seed | 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / TWO_TO_32;
  };
}

/** A generator seeded from the system's entropy. */
export function randomlySeeded(): RandomSource {
  return seededRandom(crypto.getRandomValues(new Int32Array(1))[0]);
}
