/**
 * The VPS's edge: IP forwarding on, and our nftables table masquerading everything that
 * arrives through the tunnel out of nat.public_interface (routed IPv6 prefixes excepted),
 * DNATing the inbound forwards into the tunnel and isolating the peers from each other. Both
 * are undone on stop; a reload with new forwards or `reach` rebuilds the table in one
 * transaction (applyVpsEdge).
 */
import type { BondConfig } from "../config/types.ts";
import type { SysctlChanges } from "../system/sysctl.ts";
import { applyRuleset, removeTables } from "../system/nftables/table_lifecycle.ts";
import { describeForward } from "../edge/forward_table.ts";
import { planVpsEdge } from "../edge/vps_edge_plan.ts";
import type { Logger } from "../log.ts";
import type { Teardown } from "./teardown.ts";

export async function setUpVpsEgress(
  config: BondConfig,
  tunName: string,
  sysctls: SysctlChanges,
  teardown: Teardown,
  log: Logger,
): Promise<void> {
  const families = new Set(config.interface.address.map((a) => a.family));
  if (families.has(4)) await sysctls.set("net.ipv4.ip_forward", "1");
  if (families.has(6)) await sysctls.set("net.ipv6.conf.all.forwarding", "1");
  if (!config.nat) {
    log.info("no nat.public_interface: forwarding without masquerade");
    return;
  }
  // Registered first: a half-applied table (impossible with nft's transactions, but cheap to
  // cover) or one left from a crashed run is removed on the way out.
  teardown.add("nftables table inet bond", () => removeTables());
  await applyVpsEdge(config, tunName, log);
  log.info("masquerade on", { public_interface: config.nat.publicInterface });
}

/**
 * Builds and applies the edge table for `config` (which has `nat`), logging every forward it
 * refused with the reason. Atomic: on failure the previous table stays as it was.
 */
export async function applyVpsEdge(
  config: BondConfig,
  tunName: string,
  log: Logger,
): Promise<void> {
  const plan = planVpsEdge(config, tunName);
  for (const { peer, refusal } of plan.refused) {
    log.warn(`forward refused: ${refusal.reason}`, { peer });
  }
  await applyRuleset(plan.ruleset);
  for (const f of plan.forwards) log.info(`forward ${describeForward(f)}`, { peer: f.peer });
}
