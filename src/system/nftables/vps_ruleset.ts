/**
 * The VPS's nftables rules as one `nft -f` transaction: masquerade tunnel traffic out of the
 * public interface (except sources in a routed IPv6 prefix), DNAT the inbound port forwards into
 * the tunnel, isolate the peers from each other, accept forwarding between the tunnel and the
 * public interface, and clamp TCP MSS on forwarded SYNs to the route's MTU (so hosts behind the
 * router never send segments too big for the tunnel, whatever ICMP filtering the internet
 * applies).
 *
 * The text starts with `add table` + `delete table` so that applying it replaces any previous
 * version of our table in the same atomic transaction, and applying it twice changes nothing.
 * A live change of forwards rebuilds the whole table this way; conntrack entries of existing
 * flows live outside the table and survive it.
 */
import { type Cidr, formatCidr, networkOf, parseCidr } from "../../net/cidr.ts";
import {
  checkTableName,
  DEFAULT_BOND_TABLE,
  forwardChainWithClamp,
  replaceTableText,
} from "./bond_table.ts";
import { dnatChain, type DnatForward } from "./vps_dnat_rules.ts";
import { type IsolatedPeer, isolationRules } from "./vps_isolation_rules.ts";

export interface VpsRulesetOptions {
  /** The TUN device (config `interface.name`), e.g. "bnd0". */
  tunnelInterface: string;
  /** Where masqueraded traffic leaves (config `nat.public_interface`), e.g. "eth0". */
  publicInterface: string;
  /**
   * Every source prefix that reaches the VPS through the tunnel: the tunnel's own subnets
   * (`interface.address`) and the peers' `allowed_ips` (a router's LAN behind it). Host bits
   * are allowed ("10.66.0.1/24" means 10.66.0.0/24). IPv4 and IPv6 may be mixed.
   */
  tunnelSubnets: readonly string[];
  /**
   * Name of our `inet` table.
   * @default "bond"
   */
  table?: string;
  /** Inbound port forwards, DNATed into the tunnel. @default [] */
  forwards?: readonly DnatForward[];
  /**
   * The peers and whom each may reach; when given, other peer-to-peer traffic is dropped.
   * Absent: no isolation rules at all.
   */
  isolation?: readonly IsolatedPeer[];
  /**
   * IPv6 prefixes routed to the VPS and on into the tunnel: their sources leave unchanged (no
   * NAT66), and unsolicited connections from outside into them are dropped, so a LAN is as
   * closed as behind NAT66 except through its forwards. @default []
   */
  routedPrefixes?: readonly string[];
}

/**
 * Linux interface names: 1-15 bytes, no "/", ":" or whitespace; quotes and backslashes are
 * refused as well because the name is embedded in nft's quoted string syntax.
 */
const INTERFACE_NAME = /^[^\s/:"\\]{1,15}$/;

export function checkInterface(key: string, name: string): string {
  if (!INTERFACE_NAME.test(name) || name === "." || name === "..") {
    throw new RangeError(
      `${key}: ${JSON.stringify(name)} is not a valid interface name ` +
        `(1-15 characters, no whitespace, "/", ":", quotes or backslashes)`,
    );
  }
  return name;
}

function parseSubnets(texts: readonly string[]): Cidr[] {
  if (texts.length === 0) {
    throw new RangeError("tunnelSubnets: need at least one prefix to masquerade");
  }
  const seen = new Set<string>();
  const subnets: Cidr[] = [];
  for (const text of texts) {
    let cidr: Cidr;
    try {
      cidr = networkOf(parseCidr(text));
    } catch (err) {
      throw new RangeError(
        `tunnelSubnets: ${JSON.stringify(text)} is not an IP prefix: ` +
          (err instanceof Error ? err.message : String(err)),
      );
    }
    const key = formatCidr(cidr);
    if (!seen.has(key)) {
      seen.add(key);
      subnets.push(cidr);
    }
  }
  return subnets;
}

function parseRoutedPrefixes(texts: readonly string[]): string[] {
  return texts.map((text) => {
    let cidr: Cidr;
    try {
      cidr = networkOf(parseCidr(text));
    } catch (err) {
      throw new RangeError(`routedPrefixes: ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
    if (cidr.family !== 6) throw new RangeError(`routedPrefixes: ${text} is not IPv6`);
    return formatCidr(cidr);
  });
}

/** The complete ruleset text for `nft -f -`; pure, throws RangeError on a bad option. */
export function buildVpsRuleset(options: VpsRulesetOptions): string {
  const table = checkTableName(options.table ?? DEFAULT_BOND_TABLE);
  const tun = JSON.stringify(checkInterface("tunnelInterface", options.tunnelInterface));
  const pub = JSON.stringify(checkInterface("publicInterface", options.publicInterface));
  if (options.tunnelInterface === options.publicInterface) {
    throw new RangeError(
      `tunnelInterface and publicInterface are both ${tun}: the tunnel cannot be its own egress`,
    );
  }
  const subnets = parseSubnets(options.tunnelSubnets);
  const routed = parseRoutedPrefixes(options.routedPrefixes ?? []);
  const masquerade = subnets.map((s) =>
    `\t\toifname ${pub} ${s.family === 4 ? "ip" : "ip6"} saddr ${formatCidr(s)} masquerade`
  );
  const forwards = options.forwards ?? [];
  return replaceTableText(table, [
    ...dnatChain(pub, forwards),
    ...forwardChainWithClamp(tun),
    ...(options.isolation ? isolationRules(tun, options.isolation) : []),
    // These accepts end our chain for tunnel traffic (they cannot override another table's drop).
    `\t\tiifname ${tun} oifname ${pub} accept`,
    ...(forwards.length > 0 ? [`\t\tiifname ${pub} oifname ${tun} ct status dnat accept`] : []),
    ...routed.flatMap((p) => [
      `\t\tiifname ${pub} oifname ${tun} ip6 daddr ${p} ct state established,related accept`,
      `\t\tiifname ${pub} oifname ${tun} ip6 daddr ${p} drop`,
    ]),
    `\t\tiifname ${pub} oifname ${tun} accept`,
    `\t}`,
    `\tchain postrouting {`,
    `\t\ttype nat hook postrouting priority srcnat; policy accept;`,
    // A routed prefix keeps its addresses: accept ends this NAT chain before any masquerade.
    ...routed.map((p) => `\t\toifname ${pub} ip6 saddr ${p} accept`),
    ...masquerade,
    `\t}`,
  ]);
}
