/**
 * The inbound port forwards as nft rules: DNAT in a prerouting chain on the public interface,
 * only for packets addressed to the VPS itself (`fib daddr type local`), so traffic merely
 * routed through the host is never redirected. IPv4 forwards match IPv4 packets only and IPv6
 * forwards IPv6 packets only (`meta nfproto`), because one `inet` chain sees both.
 */
import { parseIpAddress } from "../../net/ip_address.ts";

export interface DnatForward {
  proto: "tcp" | "udp";
  /** Public port on the VPS. */
  port: number;
  /** LAN host address (IPv4 or IPv6 literal). */
  target: string;
  targetPort: number;
}

function checkPort(what: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`${what} ${port} out of range 1-65535`);
  }
  return port;
}

/** One `dnat` rule line (tab-indented for the chain); `pub` is the quoted interface name. */
export function dnatRule(pub: string, f: DnatForward): string {
  const ip = parseIpAddress(f.target); // throws on anything that is not an address literal
  const port = checkPort("forward port", f.port);
  const to = checkPort("forward target port", f.targetPort);
  if (f.proto !== "tcp" && f.proto !== "udp") throw new RangeError(`forward proto ${f.proto}`);
  const family = ip.family === 4 ? "ipv4" : "ipv6";
  const dest = ip.family === 4 ? `ip to ${ip.text}:${to}` : `ip6 to [${ip.text}]:${to}`;
  return `\t\tiifname ${pub} meta nfproto ${family} fib daddr type local ${f.proto} dport ${port} dnat ${dest}`;
}

/** The prerouting chain, or nothing when there is no forward (no empty NAT hook to run). */
export function dnatChain(pub: string, forwards: readonly DnatForward[]): string[] {
  if (forwards.length === 0) return [];
  return [
    `\tchain prerouting {`,
    `\t\ttype nat hook prerouting priority dstnat; policy accept;`,
    ...forwards.map((f) => dnatRule(pub, f)),
    `\t}`,
  ];
}
