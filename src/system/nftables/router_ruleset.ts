/**
 * The router's nftables table: only an MSS clamp on TCP SYNs crossing the tunnel, so LAN hosts
 * (MTU 1500) and servers never send segments larger than the tunnel's MTU, whatever ICMP
 * filtering lies on the path. Same atomic replace-by-delete shape as the VPS table.
 */
import { DEFAULT_BOND_TABLE, forwardChainWithClamp, replaceTableText } from "./bond_table.ts";
import { checkInterface } from "./vps_ruleset.ts";

export interface RouterRulesetOptions {
  /** The TUN device (config `interface.name`). */
  tunnelInterface: string;
  /** @default "bond" */
  table?: string;
}

export function buildRouterRuleset(options: RouterRulesetOptions): string {
  const tun = JSON.stringify(checkInterface("tunnelInterface", options.tunnelInterface));
  return replaceTableText(options.table ?? DEFAULT_BOND_TABLE, [
    ...forwardChainWithClamp(tun),
    `\t}`,
  ]);
}
