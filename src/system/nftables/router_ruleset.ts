/**
 * The router's nftables table: an MSS clamp on TCP SYNs crossing the tunnel, so LAN hosts
 * (MTU 1500) and servers never send segments larger than the tunnel's MTU, whatever ICMP
 * filtering lies on the path; and, while the TCP split is on (src/mptcp/), a redirect of new TCP
 * connections that would leave through the tunnel to the local split listener. Same atomic
 * replace-by-delete shape as the VPS table.
 */
import { DEFAULT_BOND_TABLE, forwardChainWithClamp, replaceTableText } from "./bond_table.ts";
import { checkInterface } from "./vps_ruleset.ts";

export interface RouterRulesetOptions {
  /** The TUN device (config `interface.name`). */
  tunnelInterface: string;
  /** The TCP split listener's port: TCP routed into the tunnel is redirected there. */
  splitPort?: number;
  /** @default "bond" */
  table?: string;
}

export function buildRouterRuleset(options: RouterRulesetOptions): string {
  const tun = JSON.stringify(checkInterface("tunnelInterface", options.tunnelInterface));
  const body = [...forwardChainWithClamp(tun), `\t}`];
  const port = options.splitPort;
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`splitPort must be a port number, got ${port}`);
    }
    // A NAT chain sees only a connection's first packet: replies of connections the VPS
    // forwards in, and connections open before the split began, pass untouched. The route
    // lookup (fib) picks exactly what the tunnel would carry, IPv4 and IPv6 alike.
    body.push(
      `\tchain split {`,
      `\t\ttype nat hook prerouting priority dstnat; policy accept;`,
      `\t\tiifname != ${tun} meta l4proto tcp fib daddr oifname ${tun} redirect to :${port}`,
      `\t}`,
    );
  }
  return replaceTableText(options.table ?? DEFAULT_BOND_TABLE, body);
}
