/**
 * Grants for the VPS's link responder, sans-IO: the public listener must not become a free
 * bandwidth test for the whole internet, so it serves only a client that shows a token the VPS
 * handed out moments earlier through the authenticated tunnel.
 *
 * A token is 128 random bits, valid for `ttlMs`, good for one connection, and at most `limit`
 * are outstanding (issuing more is refused until some are used or expire), so a peer asking in a
 * loop cannot grow the table. Time comes in as a number; nothing here reads a clock or a socket.
 */

/** How long a grant stays valid: enough for the router to dial the link responder. */
export const GRANT_TTL_MS = 30_000;
/** Most grants outstanding at once (a test takes two; a few routers may test together). */
export const MAX_OUTSTANDING_GRANTS = 16;
/** 128 bits: guessing one within its lifetime is out of reach. */
const TOKEN_BYTES = 16;

export interface Grant {
  token: string;
  /** When it stops being valid, in the clock `issue` was given. */
  expiresAtMs: number;
}

export class LinkGrants {
  /** token → expiry; Map keeps insertion order, so the oldest come first. */
  readonly #outstanding = new Map<string, number>();

  constructor(
    private readonly ttlMs = GRANT_TTL_MS,
    private readonly limit = MAX_OUTSTANDING_GRANTS,
    private readonly random: (bytes: Uint8Array) => void = (b) => crypto.getRandomValues(b),
  ) {}

  /** A new grant, or undefined when `limit` unexpired grants are outstanding. */
  issue(nowMs: number): Grant | undefined {
    this.#expire(nowMs);
    if (this.#outstanding.size >= this.limit) return undefined;
    const bytes = new Uint8Array(TOKEN_BYTES);
    this.random(bytes);
    const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    // A repeat would mean a broken random source; refusing beats handing one token out twice.
    if (this.#outstanding.has(token)) return undefined;
    const expiresAtMs = nowMs + this.ttlMs;
    this.#outstanding.set(token, expiresAtMs);
    return { token, expiresAtMs };
  }

  /** True once for a token issued and not yet expired; it is gone afterwards either way. */
  redeem(token: unknown, nowMs: number): boolean {
    if (typeof token !== "string") return false;
    const expiresAtMs = this.#outstanding.get(token);
    if (expiresAtMs === undefined) return false;
    this.#outstanding.delete(token);
    return nowMs < expiresAtMs;
  }

  /** Grants issued, neither used nor expired at `nowMs`. */
  outstanding(nowMs: number): number {
    this.#expire(nowMs);
    return this.#outstanding.size;
  }

  #expire(nowMs: number): void {
    for (const [token, expiresAtMs] of this.#outstanding) {
      if (nowMs >= expiresAtMs) this.#outstanding.delete(token);
    }
  }
}
