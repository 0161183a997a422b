/**
 * Per-source token buckets for handshake messages, applied while the responder is under load
 * (whitepaper section 5.3): a source may send RATELIMIT_BURST messages back to back, then
 * RATELIMIT_PACKETS_PER_SECOND. IPv4 sources are keyed by address; IPv6 sources by their /64,
 * since one host usually owns a whole /64 and could otherwise rotate addresses freely.
 *
 * Memory is bounded: at most `maxEntries` sources are tracked, new sources beyond that are
 * refused until garbage collection forgets idle ones.
 */
import type { Endpoint } from "./endpoint.ts";
import {
  RATELIMIT_BURST,
  RATELIMIT_GC_INTERVAL,
  RATELIMIT_MAX_ENTRIES,
  RATELIMIT_PACKETS_PER_SECOND,
} from "./constants.ts";

interface Bucket {
  /** Credit in milliseconds: each message costs 1000 / rate. */
  tokens: number;
  last: number;
}

export interface RateLimiterOptions {
  /** @default RATELIMIT_PACKETS_PER_SECOND (20) */
  perSecond?: number;
  /** @default RATELIMIT_BURST (5) */
  burst?: number;
  /** @default RATELIMIT_MAX_ENTRIES */
  maxEntries?: number;
}

export class RateLimiter {
  readonly #cost: number;
  readonly #maxTokens: number;
  readonly #maxEntries: number;
  readonly #buckets = new Map<number | string, Bucket>();
  #lastGc = -Infinity;

  constructor(options: RateLimiterOptions = {}) {
    const perSecond = options.perSecond ?? RATELIMIT_PACKETS_PER_SECOND;
    const burst = options.burst ?? RATELIMIT_BURST;
    const maxEntries = options.maxEntries ?? RATELIMIT_MAX_ENTRIES;
    if (!(perSecond > 0)) throw new RangeError(`ratelimit perSecond must be > 0, got ${perSecond}`);
    if (!(burst >= 1)) throw new RangeError(`ratelimit burst must be >= 1, got ${burst}`);
    if (!(maxEntries >= 1)) {
      throw new RangeError(`ratelimit maxEntries must be >= 1, got ${maxEntries}`);
    }
    this.#cost = 1000 / perSecond;
    this.#maxTokens = this.#cost * burst;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Whether a handshake message from `src` at time `now` may be processed. */
  allow(now: number, src: Endpoint): boolean {
    this.gc(now);
    const key = sourceKey(src);
    const bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxEntries) return false;
      this.#buckets.set(key, { tokens: this.#maxTokens - this.#cost, last: now });
      return true;
    }
    bucket.tokens = Math.min(this.#maxTokens, bucket.tokens + Math.max(0, now - bucket.last));
    bucket.last = now;
    if (bucket.tokens < this.#cost) return false;
    bucket.tokens -= this.#cost;
    return true;
  }

  /** Forgets sources idle for a GC interval (their buckets would be full again anyway). */
  gc(now: number): void {
    if (now - this.#lastGc < RATELIMIT_GC_INTERVAL) return;
    this.#lastGc = now;
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.last >= Math.max(RATELIMIT_GC_INTERVAL, this.#maxTokens)) {
        this.#buckets.delete(key);
      }
    }
  }
}

function sourceKey(src: Endpoint): number | string {
  const ip = src.ip;
  if (src.family === 4) return ((ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]) >>> 0;
  let key = "6:";
  for (let i = 0; i < 8; i++) key += ip[i].toString(16).padStart(2, "0");
  return key;
}
