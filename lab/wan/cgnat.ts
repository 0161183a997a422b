/**
 * A CGNAT-like ISP: IPv4 from the customer's access network leaves with the ISP's own transit
 * address (masquerade); IPv6 stays routed, as most carriers do it.
 *
 * Conntrack must see each packet once per direction, but the emulator routes every packet
 * through the namespace twice (in from a veth, out to a TUN; in from the TUN, out to the other
 * veth). The first pass is left untracked (`notrack` on packets from the access side, and on
 * downloads coming back out of the emulator), so upload is tracked and masqueraded as it leaves
 * towards the internet and replies are matched and translated back as they arrive from it.
 */
import type { Lab } from "../../tests/netns/harness/netns.ts";

export interface CgnatOptions {
  /** Interface towards the router. */
  accessIf: string;
  /** Interface towards the internet (its address is the shared public one). */
  transitIf: string;
  /** The emulator's TUN for internet → router packets. */
  downTun: string;
  /** The customer's IPv4 access network (CIDR). */
  accessSubnet: string;
}

export const CGNAT_TABLE = "wan_cgnat";

/** The nftables ruleset, as one transaction (replacing an earlier one). */
export function cgnatRuleset(o: CgnatOptions): string {
  return [
    `table ip ${CGNAT_TABLE}`,
    `delete table ip ${CGNAT_TABLE}`,
    `table ip ${CGNAT_TABLE} {`,
    `  chain raw {`,
    `    type filter hook prerouting priority raw; policy accept;`,
    `    iifname { "${o.accessIf}", "${o.downTun}" } notrack`,
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    oifname "${o.transitIf}" ip saddr ${o.accessSubnet} masquerade`,
    `  }`,
    `}`,
    "",
  ].join("\n");
}

export async function enableCgnat(lab: Lab, host: string, o: CgnatOptions): Promise<void> {
  await lab.run(host, ["nft", "-f", "-"], { stdin: cgnatRuleset(o) });
}
