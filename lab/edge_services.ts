/**
 * Tiny services for forward tests, on socat: a TCP and a UDP server that answer every client
 * with the client's own address as they see it, and the matching one-shot clients. Seeing the
 * client's real address on the LAN host proves the forward is a DNAT (no source rewrite).
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import type { SpawnedProcess } from "../tests/netns/harness/command.ts";
import { formatIPv6, parseIPv6 } from "../src/net/ip_address.ts";

const ANSWER = "SYSTEM:echo $SOCAT_PEERADDR";

/** TCP (IPv4 and IPv6) and UDP (IPv4 and IPv6) echo-the-peer servers on `host`. */
export function startPeerEchoServers(
  lab: Lab,
  host: string,
  ports: { tcp: number; udp: number },
): SpawnedProcess[] {
  return [
    lab.spawn(host, ["socat", `TCP4-LISTEN:${ports.tcp},reuseaddr,fork`, ANSWER]),
    lab.spawn(host, ["socat", `TCP6-LISTEN:${ports.tcp},ipv6only=1,reuseaddr,fork`, ANSWER]),
    lab.spawn(host, ["socat", `UDP4-RECVFROM:${ports.udp},fork`, ANSWER]),
    lab.spawn(host, ["socat", `UDP6-RECVFROM:${ports.udp},ipv6only=1,fork`, ANSWER]),
  ];
}

/**
 * Asks the service at `address:port` who we are; the canonical address text, or null when no
 * answer came. UDP is asked up to `UDP_TRIES` times, as a datagram may be lost on a first
 * packet (a neighbour entry being resolved); each try waits `timeoutMs`.
 */
export async function askPeerAddress(
  lab: Lab,
  from: string,
  proto: "tcp" | "udp",
  address: string,
  port: number,
  timeoutMs = 3000,
): Promise<string | null> {
  const tries = proto === "udp" ? UDP_TRIES : 1;
  for (let i = 0; i < tries; i++) {
    const seen = await askOnce(lab, from, proto, address, port, timeoutMs);
    if (seen !== null) return seen;
  }
  return null;
}

const UDP_TRIES = 3;

async function askOnce(
  lab: Lab,
  from: string,
  proto: "tcp" | "udp",
  address: string,
  port: number,
  timeoutMs = 3000,
): Promise<string | null> {
  const v6 = address.includes(":");
  const target = `${proto.toUpperCase()}${v6 ? "6" : "4"}:${v6 ? `[${address}]` : address}:${port}`;
  const seconds = String(timeoutMs / 1000);
  // TCP: receive only. Sending as well would race the server's close: unread data there turns
  // its FIN into a RST that can discard the answer before we read it. UDP needs a datagram to
  // answer; -t keeps listening that long after our side is done.
  const argv = proto === "tcp"
    ? ["socat", "-T", seconds, "-u", target, "STDOUT"]
    : ["socat", "-T", seconds, "-t", seconds, "-", target];
  const r = await lab.exec(from, argv, {
    stdin: proto === "udp" ? "who\n" : "",
    timeoutMs: timeoutMs + 2000,
  });
  const seen = r.stdout.trim().replace(/^\[|\]$/g, "");
  if (r.code !== 0 || seen === "") return null;
  // socat prints IPv6 unabbreviated: compare in canonical form.
  return seen.includes(":") ? formatIPv6(parseIPv6(seen)) : seen;
}

/** True when one ping of `address` from `host` is answered within a second. */
export async function pingAnswered(lab: Lab, host: string, address: string): Promise<boolean> {
  const family = address.includes(":") ? "-6" : "-4";
  const r = await lab.exec(host, ["ping", family, "-c", "2", "-i", "0.2", "-W", "1", address]);
  return r.code === 0;
}
