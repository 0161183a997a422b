/**
 * Which offloads the data path uses. All are on by default: the tunnel benchmark shows what
 * each gains (docs/datapath.md). BOND_DATAPATH_OFFLOADS switches them for measurement: "none"
 * or a comma-separated list of "gso" (UDP segmentation on send), "gro" (UDP coalescing on
 * receive) and "tun" (TCP segmentation and coalescing at the TUN device, src/offload/);
 * anything else is an error naming the value.
 */
import type { Offloads } from "./messages.ts";

export const OFFLOADS_ENV = "BOND_DATAPATH_OFFLOADS";
const NAMES = ["gso", "gro", "tun"];

export function offloadsFromEnv(value = Deno.env.get(OFFLOADS_ENV)): Offloads {
  if (value === undefined || value === "") return { gso: true, gro: true, tun: true };
  const parts = value.split(",").map((p) => p.trim());
  for (const p of parts) {
    if (p !== "none" && !NAMES.includes(p)) {
      throw new Error(
        `${OFFLOADS_ENV}: unknown offload "${p}" (want none or a list of ${NAMES.join(", ")})`,
      );
    }
  }
  return { gso: parts.includes("gso"), gro: parts.includes("gro"), tun: parts.includes("tun") };
}

/** The names of the offloads in use, as status lists them. */
export function offloadNames(o: Offloads): string[] {
  return NAMES.filter((n) => o[n as keyof Offloads]);
}
