/**
 * The router's nftables table (MSS clamp into and out of the tunnel). A router without nft
 * still works, relying on path MTU discovery: that is logged, not fatal.
 */
import { buildRouterRuleset } from "../system/nftables/router_ruleset.ts";
import { applyRuleset, removeTables } from "../system/nftables/table_lifecycle.ts";
import { NftError } from "../system/nftables/nft_command.ts";
import type { Logger } from "../log.ts";
import type { Teardown } from "./teardown.ts";

/** True when the table is in place (the TCP split may then add its redirect to it). */
export async function setUpRouterClamp(
  tunName: string,
  teardown: Teardown,
  log: Logger,
): Promise<boolean> {
  try {
    // Replaces a table a crashed run left, in the same transaction.
    await applyRuleset(buildRouterRuleset({ tunnelInterface: tunName }));
  } catch (err) {
    if (!(err instanceof NftError)) throw err;
    log.warn(`no MSS clamp (${err.message}); TCP relies on path MTU discovery`);
    return false;
  }
  teardown.add("nftables table inet bond", () => removeTables());
  log.info("TCP MSS clamped to the tunnel MTU");
  return true;
}
