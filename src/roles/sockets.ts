/**
 * The tunnel's UDP sockets. Router: its link sockets (link_sockets.ts), one per link and address
 * family its peer endpoint needs. VPS: listen_port on IPv4 and IPv6, as separate sockets so IPv4
 * peers appear as IPv4 endpoints, not v4-mapped IPv6 ones.
 */
import { UdpSocket } from "../../ffi/udp.ts";
import type { BondConfig } from "../config/types.ts";
import type { WorkerPeer } from "../datapath/messages.ts";
import type { Logger } from "../log.ts";
import { LinkSockets, type RoleSocket, SOCKET_BUFFER_BYTES } from "./link_sockets.ts";
import type { Teardown } from "./teardown.ts";

export type { RoleSocket };

export interface RoleSockets {
  /** Every socket at start, in the data path's slot order. */
  sockets: RoleSocket[];
  /** Router: its link sockets, which reloads add to and remove from. */
  links?: LinkSockets;
}

export function openRoleSockets(
  config: BondConfig,
  peers: WorkerPeer[],
  mark: number | undefined,
  teardown: Teardown,
  log: Logger,
): RoleSockets {
  if (config.role === "vps") return { sockets: openVpsSockets(config, teardown, log) };

  // One socket per link and endpoint family: each is a path of its own. The first link's
  // sockets carry the handshakes, and all the data until the peer proves it bonds.
  const families = peerFamilies(peers);
  const links = new LinkSockets(families, mark);
  teardown.add("link sockets", () => links.closeAll());
  const sockets = config.links.flatMap((link, id) => links.open(link, id));
  for (const family of families) {
    if (!sockets.some((s) => s.family === family)) {
      log.warn(`no link has an IPv${family} source: IPv${family} peers are unreachable`);
    }
  }
  return { sockets, links };
}

/** The address families of the peers' endpoints: the families each link needs a socket of. */
export function peerFamilies(peers: readonly WorkerPeer[]): Set<4 | 6> {
  const families = new Set<4 | 6>();
  for (const p of peers) {
    for (const e of [p.endpoint, p.alternateEndpoint]) {
      if (e !== undefined) families.add(e.startsWith("[") ? 6 : 4);
    }
  }
  return families;
}

function openVpsSockets(config: BondConfig, teardown: Teardown, log: Logger): RoleSocket[] {
  const out: RoleSocket[] = [];
  const port = config.interface.listenPort!;
  const open = (family: 4 | 6, address: string) => {
    const sock = UdpSocket.open({
      family,
      address,
      port,
      receiveBuffer: SOCKET_BUFFER_BYTES,
      sendBuffer: SOCKET_BUFFER_BYTES,
      nonBlocking: true,
    });
    teardown.add(`UDP socket ${family === 4 ? "IPv4" : "IPv6"}`, () => sock.close());
    out.push({ fd: sock.fd, family, description: sock.localEndpoint().toString() });
  };
  open(4, "0.0.0.0");
  try {
    open(6, "::");
  } catch (err) {
    log.warn(`no IPv6 listener, IPv4 only: ${(err as Error).message}`);
  }
  return out;
}
