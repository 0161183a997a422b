/**
 * The router's nftables table: an MSS clamp on TCP SYNs crossing the tunnel, so LAN hosts
 * (MTU 1500) and servers never send segments larger than the tunnel's MTU, whatever ICMP
 * filtering lies on the path; and, while the TCP split listens (src/mptcp/), a guard that
 * refuses every connection to its port that no redirect of ours made (from the WAN side, or a
 * LAN host dialling it), and, while the split is on, the redirect of new TCP connections that
 * would leave through the tunnel to that listener. Same atomic replace-by-delete shape as the
 * VPS table.
 */
import { DEFAULT_BOND_TABLE, forwardChainWithClamp, replaceTableText } from "./bond_table.ts";
import { checkInterface } from "./vps_ruleset.ts";

export interface RouterRulesetOptions {
  /** The TUN device (config `interface.name`). */
  tunnelInterface: string;
  /**
   * The TCP split listener's port: guarded (only redirected connections reach it), and with
   * `splitRedirect`, TCP routed into the tunnel is redirected there.
   */
  splitPort?: number;
  /** Redirect to `splitPort` (the VPS offers its end). @default true */
  splitRedirect?: boolean;
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
    // A redirected connection carries the DNAT mark in conntrack; any other connection to the
    // listeners (which bind every address) is refused with a reset before it reaches them.
    body.push(
      `\tchain split_guard {`,
      `\t\ttype filter hook input priority filter; policy accept;`,
      `\t\ttcp dport ${port} ct status & dnat == 0 reject with tcp reset`,
      `\t}`,
    );
    // A NAT chain sees only a connection's first packet: replies of connections the VPS
    // forwards in, and connections open before the split began, pass untouched. The route
    // lookup (fib) picks exactly what the tunnel would carry, IPv4 and IPv6 alike.
    if (options.splitRedirect ?? true) {
      body.push(
        `\tchain split {`,
        `\t\ttype nat hook prerouting priority dstnat; policy accept;`,
        `\t\tiifname != ${tun} meta l4proto tcp fib daddr oifname ${tun} redirect to :${port}`,
        `\t}`,
      );
    }
  }
  return replaceTableText(options.table ?? DEFAULT_BOND_TABLE, body);
}
