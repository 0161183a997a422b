/**
 * The WAN profiles bonding is measured on (issue 4), as data: one LinkPatch per WAN, wan1
 * first. Rates and delays are the same in both directions; delays are one-way.
 */
import { bothWays, type DirectionPatch, type LinkPatch } from "./wan_settings.ts";

export interface WanProfile {
  name: string;
  description: string;
  links: LinkPatch[];
}

function symmetric(rateMbps: number, delayMs: number, extra: DirectionPatch = {}): LinkPatch {
  return bothWays({ rateMbps, delayMs, ...extra });
}

export const PROFILE_A: WanProfile = {
  name: "A",
  description: "three links, 40/20/10 Mbit/s at 10/30/50 ms one-way, no loss",
  links: [symmetric(40, 10), symmetric(20, 30), symmetric(10, 50)],
};

export const PROFILE_B: WanProfile = {
  name: "B",
  description: "profile A with 2% random loss on the slowest link",
  links: [symmetric(40, 10), symmetric(20, 30), symmetric(10, 50, { lossPercent: 2 })],
};

export const PROFILE_C: WanProfile = {
  name: "C",
  description: "two links, 50 Mbit/s at 5 ms and 25 Mbit/s at 120 ms ±20 ms jitter (LTE-like)",
  links: [symmetric(50, 5), symmetric(25, 120, { jitterMs: 20 })],
};

export const PROFILES: Readonly<Record<string, WanProfile>> = {
  A: PROFILE_A,
  B: PROFILE_B,
  C: PROFILE_C,
};

/** The profile of that name (case-insensitive); throws listing the known ones. */
export function profileNamed(name: string): WanProfile {
  const profile = PROFILES[name.toUpperCase()];
  if (!profile) {
    throw new Error(`unknown WAN profile "${name}" (known: ${Object.keys(PROFILES).join(", ")})`);
  }
  return profile;
}

/** The sum of the links' rates in one direction, Mbit/s (0 when any link is unlimited). */
export function profileSumMbps(profile: WanProfile, direction: "down" | "up"): number {
  let sum = 0;
  for (const link of profile.links) {
    const rate = link[direction]?.rateMbps ?? 0;
    if (rate <= 0) return 0;
    sum += rate;
  }
  return sum;
}
