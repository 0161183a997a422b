/**
 * From the VPS's configuration to the nftables text of its edge: masquerade, routed IPv6
 * prefixes, inbound forwards (through the forward table, which refuses what must not be
 * forwarded) and isolation between peers. Pure: the caller applies the text and logs the
 * refusals; rebuilding it from a reloaded configuration gives the live change.
 */
import type { BondConfig } from "../config/types.ts";
import { buildVpsRuleset } from "../system/nftables/vps_ruleset.ts";
import { type ActiveForward, ForwardTable, type RefusedForward } from "./forward_table.ts";

export interface VpsEdgePlan {
  ruleset: string;
  forwards: ActiveForward[];
  refused: { peer: string; refusal: RefusedForward }[];
}

/** `nat` must be set (the caller has checked it): the edge lives on nat.public_interface. */
export function planVpsEdge(config: BondConfig, tunName: string): VpsEdgePlan {
  if (!config.nat) throw new RangeError("planVpsEdge: no nat.public_interface");
  const table = new ForwardTable(config.peers);
  const refused: VpsEdgePlan["refused"] = [];
  for (const peer of config.peers) {
    for (const refusal of table.set(peer.name, peer.forwards).refused) {
      refused.push({ peer: peer.name, refusal });
    }
  }
  const forwards = table.active();
  const ruleset = buildVpsRuleset({
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
  return { ruleset, forwards, refused };
}
