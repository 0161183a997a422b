/**
 * What an emulated WAN does to packets, per direction: "down" is internet → router (download),
 * "up" is router → internet (upload), as ISP plans quote them ("40/20" = 40 down, 20 up).
 *
 * Rates count IP packet bytes, headers included (what the emulator's TUN devices carry): a
 * 20 Mbit/s link moves 20 Mbit/s of IP packets, so TCP goodput on it is 20 × MSS / (MSS + 52).
 */

export interface DirectionSettings {
  /** Link rate, Mbit/s of IP packets; 0 = not rate limited. */
  rateMbps: number;
  /** One-way propagation delay, ms. */
  delayMs: number;
  /**
   * Each packet's delay varies uniformly within delayMs ± jitterMs (never below zero). Without
   * `reorder` a packet never overtakes an earlier one, so back-to-back packets see more of the
   * upper half of that range.
   */
  jitterMs: number;
  /** Mean share of packets lost, percent. */
  lossPercent: number;
  /**
   * Mean length of a loss burst, packets. 1 = independent (random) loss; above 1 losses come
   * in bursts (Gilbert-Elliott), with the same mean loss.
   */
  burstLength: number;
  /** Queue in front of the rate limit, as time at the link rate, ms (tail drop beyond it). */
  queueMs: number;
  /** Queue limit in bytes; when > 0 it replaces `queueMs`. */
  queueBytes: number;
  /** Let jitter reorder packets (each leaves at its own time) instead of keeping FIFO order. */
  reorder: boolean;
  /** Link down: every packet is dropped, including those in flight. */
  down: boolean;
}

export interface LinkSettings {
  down: DirectionSettings;
  up: DirectionSettings;
}

export type DirectionPatch = Partial<DirectionSettings>;

/** A change to a running link: only the named fields of each direction change. */
export interface LinkPatch {
  down?: DirectionPatch;
  up?: DirectionPatch;
}

export const DIRECTIONS = ["down", "up"] as const;
export type Direction = typeof DIRECTIONS[number];

/** A transparent link: no rate limit, no delay, no loss. */
export const DEFAULT_DIRECTION: Readonly<DirectionSettings> = Object.freeze({
  rateMbps: 0,
  delayMs: 0,
  jitterMs: 0,
  lossPercent: 0,
  burstLength: 1,
  // Enough for one TCP flow to fill the link at the lab's delays, as on a typical access link.
  queueMs: 100,
  queueBytes: 0,
  reorder: false,
  down: false,
});

interface Range {
  min: number;
  max: number;
  integer?: boolean;
}

const RANGES: Record<Exclude<keyof DirectionSettings, "reorder" | "down">, Range> = {
  rateMbps: { min: 0, max: 100_000 },
  delayMs: { min: 0, max: 10_000 },
  jitterMs: { min: 0, max: 10_000 },
  lossPercent: { min: 0, max: 100 },
  burstLength: { min: 1, max: 10_000 },
  queueMs: { min: 0.1, max: 10_000 },
  queueBytes: { min: 0, max: 1 << 30, integer: true },
};

const BOOLEAN_KEYS = ["reorder", "down"] as const;

/** Throws naming the field and the value unless `patch` holds only known, in-range fields. */
export function checkDirectionPatch(patch: DirectionPatch, where = "settings"): void {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    throw new TypeError(`${where}: must be an object, got ${JSON.stringify(patch)}`);
  }
  for (const [key, value] of Object.entries(patch)) {
    if ((BOOLEAN_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== "boolean") {
        throw new TypeError(`${where}.${key}: must be true or false, got ${JSON.stringify(value)}`);
      }
      continue;
    }
    const range = RANGES[key as keyof typeof RANGES];
    if (!range) throw new TypeError(`${where}.${key}: unknown setting`);
    if (
      typeof value !== "number" || !Number.isFinite(value) || value < range.min ||
      value > range.max || (range.integer && !Number.isInteger(value))
    ) {
      throw new RangeError(
        `${where}.${key}: must be ${range.integer ? "an integer" : "a number"} in ` +
          `${range.min}..${range.max}, got ${JSON.stringify(value)}`,
      );
    }
  }
}

/** Throws unless `patch` is a valid change to a link (see `checkDirectionPatch`). */
export function checkLinkPatch(patch: LinkPatch, where = "link"): void {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    throw new TypeError(`${where}: must be an object, got ${JSON.stringify(patch)}`);
  }
  for (const key of Object.keys(patch)) {
    if (!(DIRECTIONS as readonly string[]).includes(key)) {
      throw new TypeError(`${where}.${key}: unknown direction (want down or up)`);
    }
  }
  for (const dir of DIRECTIONS) {
    if (patch[dir] !== undefined) checkDirectionPatch(patch[dir], `${where}.${dir}`);
  }
}

/** The settings after `patch`, validated; `base` is not changed. */
export function applyLinkPatch(base: LinkSettings, patch: LinkPatch): LinkSettings {
  checkLinkPatch(patch);
  return {
    down: { ...base.down, ...patch.down },
    up: { ...base.up, ...patch.up },
  };
}

/** Full settings for both directions from defaults and a patch. */
export function linkSettings(patch: LinkPatch = {}): LinkSettings {
  return applyLinkPatch({ down: { ...DEFAULT_DIRECTION }, up: { ...DEFAULT_DIRECTION } }, patch);
}

/** The same patch for both directions. */
export function bothWays(patch: DirectionPatch): LinkPatch {
  return { down: { ...patch }, up: { ...patch } };
}

/** The queue limit in bytes that `s` implies (0 when the link has no rate limit). */
export function queueLimitBytes(s: DirectionSettings): number {
  if (s.rateMbps <= 0) return 0;
  if (s.queueBytes > 0) return s.queueBytes;
  return Math.round(s.queueMs * bytesPerMs(s.rateMbps));
}

/** Bytes the link carries per millisecond at `rateMbps`. */
export function bytesPerMs(rateMbps: number): number {
  // 1 Mbit/s = 10^6 bit/s = 125 000 byte/s = 125 byte/ms.
  return rateMbps * 125;
}

/** One line per direction, for people: `down 40 Mbit/s 10 ms ±0 ms loss 0% …`. */
export function describeDirection(s: DirectionSettings): string {
  if (s.down) return "DOWN (blackholed)";
  const parts = [
    s.rateMbps > 0 ? `${s.rateMbps} Mbit/s` : "unlimited",
    `delay ${s.delayMs} ms`,
  ];
  if (s.jitterMs > 0) parts.push(`jitter ±${s.jitterMs} ms${s.reorder ? " (reordering)" : ""}`);
  if (s.lossPercent > 0) {
    parts.push(
      `loss ${s.lossPercent}%${s.burstLength > 1 ? ` in bursts of ${s.burstLength}` : ""}`,
    );
  }
  if (s.rateMbps > 0) {
    parts.push(s.queueBytes > 0 ? `queue ${s.queueBytes} B` : `queue ${s.queueMs} ms`);
  }
  return parts.join(", ");
}
