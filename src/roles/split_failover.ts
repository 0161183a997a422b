/**
 * The TCP split's answer to a path that dies and comes back (src/mptcp/subflow_failover.ts),
 * on the VPS: it closes its subflows riding the dead path (their resets close the router's,
 * and each end's kernel sends the closed subflows' data again on the others), and announces the
 * path again once it is back.
 *
 * Only the VPS closes: the end that closes must be the one that announces again, and the two
 * ends do not always both see a path die. A blip of ~120 ms took the path down on the router
 * (its subflow closed) but not on the VPS, which then never announced it again: the connection
 * stayed without that path's subflow (3 of 16 lab runs when both ends closed).
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
 * Closes the VPS's subflows riding the path `change` reports down, where their connection has
 * another on a live path (`isDown` tells the router's dead paths). `splitAddress` is the VPS's
 * listener; `peer` the paths of the router the path belongs to. Returns how many were closed.
 */
export function closeSubflowsOnPath(
  splitAddress: Endpoint,
  change: PeerPathChange,
  peer: SplitPeerPaths,
  isDown: (path: number) => boolean,
): number {
  const prefixes = peer.allowedIps.map(parseCidr);
  const subflows = {
    side: "vps" as const,
    splitAddress: splitAddress.ip.subarray(0, splitAddress.family === 4 ? 4 : 16),
    exists: (p: number) => peer.paths[p] !== undefined,
    paths: peer.paths.length,
    isPeer: (family: 4 | 6, address: Uint8Array) =>
      prefixes.some((c) => prefixContains(c, family, address)),
  };
  return destroyTcpSockets(
    splitAddress.family,
    (sockets) => subflowsToClose(sockets, change.path, isDown, subflows),
  );
}

/**
 * Follows the routers' path changes: `splitAddress` is the VPS's listener; `announcements` gets
 * a dead path's ports again when it is back.
 */
export function followPathFailures(
  splitAddress: Endpoint,
  peers: () => SplitPeerPaths[],
  announcements: SubflowAnnouncements,
  log: Logger,
): (change: PeerPathChange) => void {
  /** Paths ("peer/path") that went down and are not back yet; true once subflows were closed. */
  const down = new Map<string, boolean>();
  return (change) => {
    const peer = peers().find((p) => p.peer === change.peer);
    const key = `${change.peer}/${change.path}`;
    if (change.state === "down") {
      down.set(key, false);
      if (peer === undefined) return;
      try {
        const closed = closeSubflowsOnPath(
          splitAddress,
          change,
          peer,
          (p) => down.has(`${change.peer}/${p}`),
        );
        if (closed > 0) {
          down.set(key, true);
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
    // Only connections that lost a subflow need the path announced again; the others would
    // only join a second subflow on it, and spend one of the eight announcements they accept.
    const closed = down.get(key);
    down.delete(key);
    if (closed !== true || peer === undefined) return;
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
