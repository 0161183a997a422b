/**
 * Isolation between the VPS's peers. Packets from one peer to another cross the VPS as
 * tunnel-in, tunnel-out (iifname and oifname both the tunnel). They are accepted only when the
 * sender's peer lists the receiver in `reach` (a new connection from its allowed IPs to the
 * other's) or when they belong to a connection that was allowed (replies); everything else
 * between peers is dropped. Traffic between a peer and the VPS itself or the internet is not
 * affected: those packets have another input or output interface.
 */
import { type Cidr, formatCidr, networkOf } from "../../net/cidr.ts";
import { prefixContains } from "../../edge/prefix_contains.ts";

export interface IsolatedPeer {
  name: string;
  /** Source prefixes of the peer (its allowed IPs; 0.0.0.0/0 and ::/0 are skipped). */
  prefixes: readonly Cidr[];
  /** Names of the peers this one may open connections to. */
  reach: readonly string[];
}

/**
 * The family's prefixes as nft set elements. A prefix inside another one is left out: nft
 * refuses overlapping intervals in one set, and the wider prefix matches it anyway.
 */
function familySet(prefixes: readonly Cidr[], family: 4 | 6): string[] {
  const nets = prefixes.filter((c) => c.family === family && c.prefix > 0).map(networkOf);
  const kept = nets.filter((c, i) =>
    !nets.some((o, j) =>
      j !== i && prefixContains(o, family, c.address) &&
      (o.prefix < c.prefix || (o.prefix === c.prefix && j < i))
    )
  );
  return kept.map(formatCidr);
}

/** Rule lines for the forward chain (after the MSS clamp, before the other accepts). */
export function isolationRules(tun: string, peers: readonly IsolatedPeer[]): string[] {
  const byName = new Map(peers.map((p) => [p.name, p]));
  const lines = [`\t\tiifname ${tun} oifname ${tun} ct state established,related accept`];
  for (const from of peers) {
    for (const name of from.reach) {
      const to = byName.get(name);
      if (to === undefined) throw new RangeError(`peer "${from.name}" reaches unknown "${name}"`);
      for (const [family, match] of [[4, "ip"], [6, "ip6"]] as const) {
        const src = familySet(from.prefixes, family);
        const dst = familySet(to.prefixes, family);
        if (src.length === 0 || dst.length === 0) continue;
        lines.push(
          `\t\tiifname ${tun} oifname ${tun} ${match} saddr { ${src.join(", ")} } ` +
            `${match} daddr { ${dst.join(", ")} } accept`,
        );
      }
    }
  }
  lines.push(`\t\tiifname ${tun} oifname ${tun} drop`);
  return lines;
}
