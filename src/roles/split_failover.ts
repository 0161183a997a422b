/**
 * The TCP split's answer to a path that dies and comes back (src/mptcp/subflow_failover.ts):
 * each end closes its subflows riding the dead path, and the VPS announces that path's ports
 * again once it is back.
 */
import type { PeerPathChange, SplitPeerPaths } from "../datapath/bonding_plane.ts";
import { prefixContains } from "../edge/prefix_contains.ts";
import type { Logger } from "../log.ts";
import { slotsForPath, subflowsToClose } from "../mptcp/subflow_failover.ts";
import { parseCidr } from "../net/cidr.ts";
import type { Endpoint } from "../protocol/endpoint.ts";
import { destroyTcpSockets } from "../system/netlink/sock_diag.ts";
import type { SubflowAnnouncements } from "./subflow_announcements.ts";

/**
 * Closes this end's subflows riding the path `change` reports down, where their connection has
 * another on a live path (`isDown` tells the peer's dead paths). `splitAddress` is the VPS's
 * listener; `peer` the paths of the peer the path belongs to. Returns how many were closed.
 */
export function closeSubflowsOnPath(
  side: "router" | "vps",
  splitAddress: Endpoint,
  change: PeerPathChange,
  peer: SplitPeerPaths,
  isDown: (path: number) => boolean,
): number {
  const prefixes = side === "vps" ? peer.allowedIps.map(parseCidr) : [];
  const subflows = {
    side,
    splitAddress: splitAddress.ip.subarray(0, splitAddress.family === 4 ? 4 : 16),
    exists: (p: number) => peer.paths[p] !== undefined,
    paths: peer.paths.length,
    isPeer: side === "vps"
      ? (family: 4 | 6, address: Uint8Array) =>
        prefixes.some((c) => prefixContains(c, family, address))
      : undefined,
  };
  return destroyTcpSockets(
    splitAddress.family,
    (sockets) => subflowsToClose(sockets, change.path, isDown, subflows),
  );
}

/**
 * Follows the peers' path changes for one end of the split: `splitAddress()` is the VPS's
 * listener (undefined while the router has none yet). On the VPS, `announcements` gets a dead
 * path's ports again when it is back.
 */
export function followPathFailures(
  side: "router" | "vps",
  splitAddress: () => Endpoint | undefined,
  peers: () => SplitPeerPaths[],
  log: Logger,
  announcements?: SubflowAnnouncements,
): (change: PeerPathChange) => void {
  /** Paths ("peer/path") that went down and are not back yet. */
  const down = new Set<string>();
  return (change) => {
    const address = splitAddress();
    const peer = peers().find((p) => p.peer === change.peer);
    const key = `${change.peer}/${change.path}`;
    if (change.state === "down") {
      down.add(key);
      if (address === undefined || peer === undefined) return;
      try {
        const closed = closeSubflowsOnPath(
          side,
          address,
          change,
          peer,
          (p) => down.has(`${change.peer}/${p}`),
        );
        if (closed > 0) {
          log.info(
            "TCP split: closed the subflows riding a dead path; their data goes on the others",
            {
              path: change.name,
              subflows: closed,
            },
          );
        }
      } catch (err) {
        log.warn(
          `TCP split: subflows on dead path ${change.name} not closed: ${(err as Error).message}`,
        );
      }
      return;
    }
    if (!down.delete(key) || announcements === undefined || peer === undefined) return;
    const slots = slotsForPath(
      change.path,
      (p) => peer.paths[p] !== undefined,
      peer.paths.length,
      announcements.slots,
      announcements.paths,
    );
    if (slots.length === 0) return;
    try {
      const ports = announcements.reannounce(slots);
      log.info("TCP split: path back, announced to the connections that lost its subflow", {
        path: change.name,
        ports: ports.join(","),
      });
    } catch (err) {
      log.warn(
        `TCP split: path ${change.name} not announced again: ${(err as Error).message}`,
      );
    }
  };
}
