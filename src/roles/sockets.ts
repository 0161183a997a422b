/**
 * The tunnel's UDP sockets. Router: one per link and address family its peer endpoint needs, on
 * an ephemeral port, bound to the link's device and/or source and carrying the policy-routing
 * mark (a link whose source is of the other family gets none for that family). VPS: listen_port
 * on IPv4 and IPv6, as separate sockets so IPv4 peers appear as IPv4 endpoints, not v4-mapped
 * IPv6 ones.
 */
import { UdpSocket, type UdpSocketOptions } from "../../ffi/udp.ts";
import type { BondConfig } from "../config/types.ts";
import type { WorkerPeer } from "../datapath/messages.ts";
import type { Logger } from "../log.ts";
import type { Teardown } from "./teardown.ts";

/** Socket buffers deep enough for a burst at a gigabit without drops. */
const SOCKET_BUFFER_BYTES = 4 << 20;

export interface RoleSocket {
  fd: number;
  family: 4 | 6;
  description: string;
  /** Router: the index of the configured link this socket is bound to. */
  link?: number;
}

export function openRoleSockets(
  config: BondConfig,
  peers: WorkerPeer[],
  mark: number | undefined,
  teardown: Teardown,
  log: Logger,
): RoleSocket[] {
  const out: RoleSocket[] = [];
  const open = (family: 4 | 6, opts: Omit<UdpSocketOptions, "family">, link?: number) => {
    const sock = UdpSocket.open({
      ...opts,
      family,
      receiveBuffer: SOCKET_BUFFER_BYTES,
      sendBuffer: SOCKET_BUFFER_BYTES,
      nonBlocking: true,
    });
    teardown.add(`UDP socket ${family === 4 ? "IPv4" : "IPv6"}`, () => sock.close());
    const local = sock.localEndpoint();
    const description = opts.device ? `${local}%${opts.device}` : local.toString();
    out.push({ fd: sock.fd, family, description, link });
  };

  if (config.role === "vps") {
    const port = config.interface.listenPort!;
    open(4, { address: "0.0.0.0", port });
    try {
      open(6, { address: "::", port });
    } catch (err) {
      log.warn(`no IPv6 listener, IPv4 only: ${(err as Error).message}`);
    }
    return out;
  }

  // One socket per link and endpoint family: each is a path of its own. The first link's
  // sockets carry the handshakes, and all the data until the peer proves it bonds.
  const families = new Set(peers.map((p) => (p.endpoint?.startsWith("[") ? 6 : 4) as 4 | 6));
  config.links.forEach((link, index) => {
    for (const family of families) {
      // A source of the other family: the device alone still names the path, if there is one.
      const source = link.source?.family === family ? link.source.text : undefined;
      if (link.source && source === undefined && !link.device) continue;
      open(family, { address: source, port: 0, device: link.device, mark }, index);
    }
  });
  for (const family of families) {
    if (!out.some((s) => s.family === family)) {
      log.warn(`no link has an IPv${family} source: IPv${family} peers are unreachable`);
    }
  }
  return out;
}
