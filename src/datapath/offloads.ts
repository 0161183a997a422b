/**
 * Which socket offloads the data path uses. Both are on by default: the tunnel benchmark shows
 * what each gains (docs/datapath.md). BOND_DATAPATH_OFFLOADS switches them for measurement:
 * "none", "gso", "gro" or "gso,gro"; anything else is an error naming the value.
 */
import type { Offloads } from "./messages.ts";

export const OFFLOADS_ENV = "BOND_DATAPATH_OFFLOADS";

export function offloadsFromEnv(value = Deno.env.get(OFFLOADS_ENV)): Offloads {
  if (value === undefined || value === "") return { gso: true, gro: true };
  const parts = value.split(",").map((p) => p.trim());
  for (const p of parts) {
    if (!["none", "gso", "gro"].includes(p)) {
      throw new Error(`${OFFLOADS_ENV}: unknown offload "${p}" (want none, gso, gro or gso,gro)`);
    }
  }
  return { gso: parts.includes("gso"), gro: parts.includes("gro") };
}
