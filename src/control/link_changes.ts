/**
 * What a reload changes in the router's `links:`, link by link (matched by name): links added,
 * removed, rebound (device or source changed: a new socket, so removed and added again) and
 * retuned (weight or rate seeds: applied to the running path). Order alone changes nothing that
 * runs: the first link only matters before the peer bonds. Sans-IO.
 */
import type { LinkConfig } from "../config/types.ts";

export interface LinkChanges {
  added: LinkConfig[];
  removed: LinkConfig[];
  /** The new version of links whose device or source changed. */
  rebound: LinkConfig[];
  /** The new version of links whose weight or seeds changed (and nothing else), and how. */
  retuned: { link: LinkConfig; change: string }[];
  /** One line per change, for the reload report and the log. */
  descriptions: string[];
}

export function linkChanges(
  current: readonly LinkConfig[],
  next: readonly LinkConfig[],
): LinkChanges {
  const out: LinkChanges = { added: [], removed: [], rebound: [], retuned: [], descriptions: [] };
  const before = new Map(current.map((l) => [l.name, l]));
  const after = new Map(next.map((l) => [l.name, l]));
  for (const l of current) {
    if (!after.has(l.name)) {
      out.removed.push(l);
      out.descriptions.push(`links: removed ${l.name}`);
    }
  }
  for (const l of next) {
    const old = before.get(l.name);
    if (old === undefined) {
      out.added.push(l);
      out.descriptions.push(`links: added ${l.name} (${placeOf(l)})`);
      continue;
    }
    if (placeOf(old) !== placeOf(l)) {
      out.rebound.push(l);
      out.descriptions.push(`links.${l.name}: ${placeOf(old)} -> ${placeOf(l)}`);
      continue;
    }
    const tuned: string[] = [];
    const cmp = (key: string, a: number | undefined, b: number | undefined) => {
      if (a !== b) tuned.push(`${key} ${a ?? "unset"} -> ${b ?? "unset"}`);
    };
    cmp("weight", old.weight, l.weight);
    cmp("down_mbps", old.downMbps, l.downMbps);
    cmp("up_mbps", old.upMbps, l.upMbps);
    if (tuned.length > 0) {
      const change = `links.${l.name}: ${tuned.join(", ")}`;
      out.retuned.push({ link: l, change });
      out.descriptions.push(change);
    }
  }
  return out;
}

/** Where a link's socket is bound: "device wan1, source 192.0.2.2", or "default route". */
export function placeOf(l: LinkConfig): string {
  const parts: string[] = [];
  if (l.device) parts.push(`device ${l.device}`);
  if (l.source) parts.push(`source ${l.source.text}`);
  return parts.length > 0 ? parts.join(", ") : "default route";
}
