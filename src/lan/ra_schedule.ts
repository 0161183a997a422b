/**
 * When to send Router Advertisements (RFC 4861 6.2.4 and 6.2.6), sans-IO: the caller asks
 * `due(now)` on a timer and sends one RA whenever it says yes.
 *
 * - At start a few come quickly (now, then after INITIAL_INTERVALS_MS), so hosts that came up
 *   before the prefix did, and sent their solicitations into the void, configure at once.
 * - Then one every 200-600 s, drawn uniformly at random each time so routers on one link do not
 *   fall into step (MinRtrAdvInterval / MaxRtrAdvInterval).
 * - A Router Solicitation is answered by the next multicast RA after a random 0-500 ms delay
 *   (MAX_RA_DELAY_TIME), but never sooner than 3 s after the previous one
 *   (MIN_DELAY_BETWEEN_RAS), so a host flooding solicitations cannot make us flood the LAN.
 */

export const INITIAL_INTERVALS_MS = [1000, 2000, 4000] as const;
export const MIN_RTR_ADV_INTERVAL_MS = 200_000;
export const MAX_RTR_ADV_INTERVAL_MS = 600_000;
export const MAX_RA_DELAY_MS = 500;
export const MIN_DELAY_BETWEEN_RAS_MS = 3000;

export class RaSchedule {
  readonly #random: () => number;
  #next: number;
  #sent = 0;
  #lastSentAt = -Infinity;

  /** `random`: uniform in [0, 1), injectable for tests. */
  constructor(now: number, random: () => number = Math.random) {
    this.#random = random;
    this.#next = now;
  }

  /** When the next RA is due. */
  get nextAt(): number {
    return this.#next;
  }

  get sent(): number {
    return this.#sent;
  }

  /** True when an RA is to be sent now (the caller sends it); the next one is then scheduled. */
  due(now: number): boolean {
    if (now < this.#next) return false;
    this.#sent++;
    this.#lastSentAt = now;
    const initial = INITIAL_INTERVALS_MS[this.#sent - 1];
    this.#next = now + (initial ?? this.#periodic());
    return true;
  }

  /** A host asked (Router Solicitation): answer soon, rate-limited. */
  onSolicitation(now: number): void {
    const at = Math.max(
      now + this.#random() * MAX_RA_DELAY_MS,
      this.#lastSentAt + MIN_DELAY_BETWEEN_RAS_MS,
    );
    if (at < this.#next) this.#next = at;
  }

  #periodic(): number {
    return MIN_RTR_ADV_INTERVAL_MS +
      this.#random() * (MAX_RTR_ADV_INTERVAL_MS - MIN_RTR_ADV_INTERVAL_MS);
  }
}
