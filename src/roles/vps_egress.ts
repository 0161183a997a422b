/**
 * The VPS's way out: IP forwarding on, and our nftables table masquerading everything that
 * arrives through the tunnel out of nat.public_interface. Both are undone on stop.
 */
import type { BondConfig } from "../config/types.ts";
import type { SysctlChanges } from "../system/sysctl.ts";
import { buildVpsRuleset } from "../system/nftables/vps_ruleset.ts";
import { applyRuleset, removeTables } from "../system/nftables/table_lifecycle.ts";
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
  const ruleset = buildVpsRuleset({
    tunnelInterface: tunName,
    publicInterface: config.nat.publicInterface,
    tunnelSubnets: [
      ...config.interface.address.map((a) => a.text),
      ...config.peers.flatMap((p) => p.allowedIps.map((c) => c.text)),
    ],
  });
  // Registered first: a half-applied table (impossible with nft's transactions, but cheap to
  // cover) or one left from a crashed run is removed on the way out.
  teardown.add("nftables table inet bond", () => removeTables());
  await applyRuleset(ruleset);
  log.info("masquerade on", { public_interface: config.nat.publicInterface });
}
