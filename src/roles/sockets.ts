/**
 * The tunnel's UDP sockets. Router: one per address family its peer endpoint needs, on an
 * ephemeral port, bound to the first link's device/source and carrying the policy-routing mark.
 * (One socket per link arrives with the bonding layer.) VPS: listen_port on IPv4 and IPv6, as
 * separate sockets so IPv4 peers appear as IPv4 endpoints, not v4-mapped IPv6 ones.
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
}

export function openRoleSockets(
  config: BondConfig,
  peers: WorkerPeer[],
  mark: number | undefined,
  teardown: Teardown,
  log: Logger,
): RoleSocket[] {
  const out: RoleSocket[] = [];
  const open = (family: 4 | 6, opts: Omit<UdpSocketOptions, "family">) => {
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
    out.push({ fd: sock.fd, family, description });
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

  const link = config.links[0];
  const families = new Set(peers.map((p) => (p.endpoint?.startsWith("[") ? 6 : 4) as 4 | 6));
  for (const family of families) {
    const source = link?.source && link.source.family === family ? link.source.text : undefined;
    open(family, { address: source, port: 0, device: link?.device, mark });
  }
  if (config.links.length > 1) {
    log.warn(
      `${config.links.length} links configured: this build carries the tunnel over the first (${link.name}) only`,
    );
  }
  return out;
}
