/**
 * From the VPS's configuration and its accepted forwards (vps_forwards.ts, which refuses what
 * must not be forwarded) to the nftables text of its edge: masquerade, routed IPv6 prefixes,
 * inbound forwards and isolation between peers. Pure: the caller applies the text.
 */
import type { BondConfig } from "../config/types.ts";
import { buildVpsRuleset } from "../system/nftables/vps_ruleset.ts";
import type { ActiveForward } from "./forward_table.ts";

/** `nat` must be set (the caller has checked it): the edge lives on nat.public_interface. */
export function planVpsEdge(
  config: BondConfig,
  tunName: string,
  forwards: ActiveForward[],
): string {
  if (!config.nat) throw new RangeError("planVpsEdge: no nat.public_interface");
  return buildVpsRuleset({
    tunnelInterface: tunName,
    publicInterface: config.nat.publicInterface,
    tunnelSubnets: [
      ...config.interface.address.map((a) => a.text),
      ...config.peers.flatMap((p) => p.allowedIps.map((c) => c.text)),
    ],
    forwards,
    isolation: config.peers.map((p) => ({ name: p.name, prefixes: p.allowedIps, reach: p.reach })),
    routedPrefixes: config.nat.ipv6Prefix ? [config.nat.ipv6Prefix.text] : [],
  });
}
