/**
 * The router's nftables table: only an MSS clamp on TCP SYNs crossing the tunnel, so LAN hosts
 * (MTU 1500) and servers never send segments larger than the tunnel's MTU, whatever ICMP
 * filtering lies on the path. Same atomic replace-by-delete shape as the VPS table.
 */
import { BOND_TABLE_FAMILY, checkTableName, DEFAULT_BOND_TABLE } from "./bond_table.ts";
import { checkInterface, CLAMP_SYN } from "./vps_ruleset.ts";

export interface RouterRulesetOptions {
  /** The TUN device (config `interface.name`). */
  tunnelInterface: string;
  /** @default "bond" */
  table?: string;
}

export function buildRouterRuleset(options: RouterRulesetOptions): string {
  const table = checkTableName(options.table ?? DEFAULT_BOND_TABLE);
  const tun = JSON.stringify(checkInterface("tunnelInterface", options.tunnelInterface));
  const ref = `${BOND_TABLE_FAMILY} ${table}`;
  return [
    `add table ${ref}`,
    `delete table ${ref}`,
    `table ${ref} {`,
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy accept;`,
    `\t\tiifname ${tun} ${CLAMP_SYN}`,
    `\t\toifname ${tun} ${CLAMP_SYN}`,
    `\t}`,
    `}`,
    ``,
  ].join("\n");
}
