/**
 * The TCP split (src/mptcp/, docs/tcp_split.md) set up for the daemon's role, undone by the
 * teardown, and its status.
 *
 * VPS: with `scheduler.tcp: mptcp` (the default), a `nat` section (it gives routers their way
 * out) and a kernel with MPTCP, it listens on its first tunnel address (IPv4 if it has one),
 * has the kernel announce the subflow ports, accepts up to 7 joined subflows per connection,
 * and offers the listener to every bonding router with each hello-ack.
 *
 * Router: in aggregate mode with two links or more, it raises the kernel's MPTCP limits so that
 * every port the VPS announces (one per path beyond the first) gets a subflow, listens for
 * redirected connections, and once the VPS's first offer arrives, redirects LAN TCP bound for
 * the tunnel to itself.
 *
 * Both ends keep each subflow's initial window sized to its path (split_window_routes.ts). The
 * VPS closes the subflows riding a path that dies and announces the path again once it is back
 * (split_failover.ts).
 */
import { mptcpAvailable } from "../../ffi/stream_socket.ts";
import type { BondConfig } from "../config/types.ts";
import type { PeerPathChange, SplitPeerPaths } from "../datapath/bonding_plane.ts";
import type { TcpSplitDoc } from "../control/status_document.ts";
import type { Logger } from "../log.ts";
import { type MptcpLimits, MptcpPathManager } from "../mptcp/path_manager.ts";
import type { SplitStats } from "../mptcp/split_end.ts";
import { SPLIT_PORT, SPLIT_SUBFLOWS } from "../mptcp/subflow_ports.ts";
import { type PathCapacity, subflowWindows } from "../mptcp/subflow_windows.ts";
import { SendBufferCeiling } from "./split_send_buffer.ts";
import { SplitWorkerHandle } from "../mptcp/split_worker_handle.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { buildRouterRuleset } from "../system/nftables/router_ruleset.ts";
import { applyRuleset } from "../system/nftables/table_lifecycle.ts";
import type { SysctlChanges } from "../system/sysctl.ts";
import type { NetlinkSocket } from "../system/netlink/socket.ts";
import { followPathFailures } from "./split_failover.ts";
import { SplitWindowRoutes, type WindowedDestination } from "./split_window_routes.ts";
import { SubflowAnnouncements } from "./subflow_announcements.ts";
import type { Teardown } from "./teardown.ts";

/** The most announcements a connection may accept (the kernel's MPTCP_PM_ADDR_MAX). */
const MPTCP_ANNOUNCEMENTS_MAX = 8;
/** After the VPS refused the listener it offered, its offers are not taken for this long. */
const REFUSED_QUIET_MS = 60_000;
/** How often the VPS matches its announced subflow ports to its routers' path counts. */
const ANNOUNCE_CHECK_MS = 1000;
/** How often the subflows' initial windows follow the paths' capacity and RTT. */
const WINDOW_SYNC_MS = 1000;
/** IPv4 and TCP headers: a subflow's segment is the tunnel MTU less these. */
const TCP_IPV4_HEADERS = 40;
/**
 * VPS: seconds before the kernel sends an unanswered subflow port announcement (ADD_ADDR) again.
 * At the kernel's 120 (its TCP_RTO_MAX) a connection whose announcement was lost (a pure ACK
 * option, dropped like any packet by a full queue) goes without that port's subflow for two
 * minutes, and without the ports after it: the path manager announces the next one only once
 * the previous one is echoed or joined. The setting counts whole seconds; one is well above the
 * tunnel's round trips.
 */
const ADD_ADDR_TIMEOUT_S = "1";

/** What the split needs of the data path. */
export interface SplitDataPath {
  /** VPS: the most paths any bonding router has. */
  mostPaths(): number;
  /** Each bonding peer's paths (capacity, base RTT) and allowed IPs. */
  splitPaths(): SplitPeerPaths[];
  setSplitOffer(listener: Endpoint | undefined): void;
  set onSplitOffer(handler: ((listener: Endpoint) => void) | undefined);
  set onPathChange(handler: ((change: PeerPathChange) => void) | undefined);
}

export class TcpSplitService {
  state: TcpSplitDoc["state"];
  reason: string | null;
  listener: Endpoint | undefined;
  stats: SplitStats | undefined;
  /** The subflow windows installed now, by destination. */
  windows: (() => TcpSplitDoc["subflow_windows"]) | undefined;
  /** Router: the send buffer ceiling in force, null while the system's stands. */
  sendBufferMax: (() => number | null) | undefined;

  constructor(state: TcpSplitDoc["state"], reason: string | null = null) {
    this.state = state;
    this.reason = reason;
  }

  status(): TcpSplitDoc {
    const s = this.stats;
    return {
      state: this.state,
      listener: this.listener?.toString() ?? null,
      reason: this.reason,
      connections: s?.active ?? 0,
      accepted: s?.accepted ?? 0,
      failed: s?.failed ?? 0,
      reset: s?.reset ?? 0,
      bytes_up: s?.bytesUp ?? 0,
      bytes_down: s?.bytesDown ?? 0,
      subflow_windows: this.windows?.() ?? [],
      send_buffer_max: this.sendBufferMax?.() ?? null,
    };
  }
}

/**
 * The kernel's MPTCP path manager (closed last at teardown), or why this host cannot split:
 * no MPTCP sockets, or no path manager. `what` starts the warning logged then.
 */
function mptcpKernel(
  teardown: Teardown,
  log: Logger,
  what: string,
): MptcpPathManager | { missing: string } {
  let missing: string;
  if (!mptcpAvailable()) {
    missing = "this kernel makes no MPTCP sockets (CONFIG_MPTCP, net.mptcp.enabled)";
  } else {
    try {
      const pm = MptcpPathManager.open();
      teardown.add("MPTCP path manager socket", () => pm.close());
      return pm;
    } catch (err) {
      missing = `no MPTCP path manager: ${(err as Error).message}`;
    }
  }
  log.warn(`${what}: ${missing}`);
  return { missing };
}

/** Sets the limits `change` makes of the ones found, and restores those at teardown. */
function setLimits(
  pm: MptcpPathManager,
  change: (found: MptcpLimits) => MptcpLimits,
  teardown: Teardown,
): void {
  const found = pm.limits();
  pm.setLimits(change(found));
  teardown.add("MPTCP limits", () => pm.setLimits(found));
}

/**
 * Installs the subflow window routes and keeps them following `destinations` until teardown;
 * returns what brings them up to date at once. Without them (a kernel whose rules cannot match
 * ports) the split works with the kernel's windows.
 */
function keepSubflowWindows(
  service: TcpSplitService,
  nl: NetlinkSocket,
  tunName: string,
  side: "dport" | "sport",
  destinations: () => WindowedDestination[],
  teardown: Teardown,
  log: Logger,
): () => void {
  let routes: SplitWindowRoutes;
  try {
    routes = new SplitWindowRoutes(nl, tunName, side, teardown, log);
  } catch (err) {
    log.warn(`TCP split: subflows keep the kernel's initial window: ${(err as Error).message}`);
    return () => {};
  }
  service.windows = () => routes.windows();
  return keepSyncing("subflow windows", () => routes.sync(destinations()), teardown, log);
}

/**
 * Router: the send buffer ceiling (split_send_buffer.ts) follows `paths` (the VPS's) until
 * teardown, which puts the system's back.
 */
function keepSendBufferCeiling(
  service: TcpSplitService,
  paths: () => readonly (PathCapacity | undefined)[],
  teardown: Teardown,
  log: Logger,
): void {
  const ceiling = new SendBufferCeiling(log);
  service.sendBufferMax = () => ceiling.lowered;
  teardown.add("TCP send buffer ceiling", () => ceiling.restore());
  keepSyncing("send buffer ceiling", () => ceiling.sync(paths()), teardown, log);
}

/**
 * Runs `sync` of `what` now and every WINDOW_SYNC_MS until teardown; a failure is logged once
 * per cause, not every second. Returns `sync` guarded so.
 */
function keepSyncing(
  what: string,
  sync: () => void,
  teardown: Teardown,
  log: Logger,
): () => void {
  let lastError = "";
  const guarded = () => {
    try {
      sync();
      lastError = "";
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastError) log.warn(`TCP split: ${what} not updated: ${message}`);
      lastError = message;
    }
  };
  guarded();
  const timer = setInterval(guarded, WINDOW_SYNC_MS);
  teardown.add(`TCP split ${what} updates`, () => clearInterval(timer));
  return guarded;
}

export async function setUpVpsSplit(
  config: BondConfig,
  nl: NetlinkSocket,
  tunName: string,
  dataPath: SplitDataPath,
  sysctls: SysctlChanges,
  teardown: Teardown,
  log: Logger,
): Promise<TcpSplitService> {
  if (config.scheduler.tcp !== "mptcp") {
    return new TcpSplitService("off", "scheduler.tcp is packet");
  }
  if (config.nat === undefined) {
    return new TcpSplitService("off", "no nat section: this VPS gives routers no way out");
  }
  const pm = mptcpKernel(teardown, log, "TCP split not offered");
  if (!(pm instanceof MptcpPathManager)) return new TcpSplitService("unavailable", pm.missing);
  const service = new TcpSplitService("active");
  const cidr = config.interface.address.find((a) => a.family === 4) ?? config.interface.address[0];
  const address = new Endpoint();
  address.family = cidr.family;
  address.ip.set(cidr.address);
  address.port = SPLIT_PORT;
  const split = await SplitWorkerHandle.start(
    { role: "vps", address: address.address(), device: tunName },
    log,
  );
  teardown.add("TCP split listener", () => split.stop());
  split.onFailed = (message) => {
    service.state = "unavailable";
    service.listener = undefined;
    service.reason = message;
    dataPath.setSplitOffer(undefined);
    log.error(`TCP split stopped: ${message}`);
  };
  setLimits(pm, (found) => ({ ...found, subflows: SPLIT_SUBFLOWS - 1 }), teardown);
  try {
    await sysctls.set("net.mptcp.add_addr_timeout", ADD_ADDR_TIMEOUT_S);
  } catch (err) {
    log.warn(
      `TCP split: a lost subflow announcement waits the kernel's timeout: ${
        (err as Error).message
      }`,
    );
  }
  // The ports announced follow the router with the most paths: subflow j rides path j mod n
  // (subflow_ports.ts), and a router takes every port announced, so n - 1 ports give each of
  // its n paths one subflow. A crashed run's announcements on our ports go first.
  const announcements = new SubflowAnnouncements(pm, address.address(), log);
  announcements.sync(0);
  const timer = setInterval(() => {
    try {
      announcements.sync(dataPath.mostPaths());
    } catch (err) {
      log.warn(`TCP split: subflow ports not announced: ${(err as Error).message}`);
    }
  }, ANNOUNCE_CHECK_MS);
  teardown.add("MPTCP subflow port announcements", () => {
    clearInterval(timer);
    announcements.sync(0);
  });
  dataPath.onPathChange = followPathFailures(
    address,
    () => dataPath.splitPaths(),
    announcements,
    log,
  );
  teardown.add("TCP split path failover", () => dataPath.onPathChange = undefined);
  // Toward each router, every allowed IP but a default route (its tunnel address among them).
  const mss = config.interface.effectiveMtu - TCP_IPV4_HEADERS;
  keepSubflowWindows(
    service,
    nl,
    tunName,
    "sport",
    () =>
      dataPath.splitPaths().flatMap((peer) => {
        const windows = subflowWindows(peer.paths, mss);
        return peer.allowedIps.filter((dst) => !dst.endsWith("/0")).map((dst) => ({
          dst,
          windows,
        }));
      }),
    teardown,
    log,
  );
  service.listener = address;
  service.stats = split.stats;
  dataPath.setSplitOffer(address);
  teardown.add("TCP split offer", () => dataPath.setSplitOffer(undefined));
  log.info("TCP split offered: routers' TCP may ride MPTCP, one subflow per path", {
    listener: address.toString(),
  });
  return service;
}

export async function setUpRouterSplit(
  config: BondConfig,
  nl: NetlinkSocket,
  tunName: string,
  nftReady: boolean,
  dataPath: SplitDataPath,
  teardown: Teardown,
  log: Logger,
): Promise<TcpSplitService> {
  if (config.scheduler.tcp !== "mptcp") {
    return new TcpSplitService("off", "scheduler.tcp is packet");
  }
  if (config.scheduler.mode !== "aggregate") {
    return new TcpSplitService("off", `scheduler.mode ${config.scheduler.mode} is not aggregate`);
  }
  const links = config.links.length;
  if (links < 2) return new TcpSplitService("off", "one link: nothing to split over");
  if (!nftReady) return new TcpSplitService("unavailable", "no nftables to redirect LAN TCP with");
  const pm = mptcpKernel(teardown, log, "TCP split off");
  if (!(pm instanceof MptcpPathManager)) return new TcpSplitService("unavailable", pm.missing);
  const service = new TcpSplitService("waiting");
  // Every port the VPS announces gets a subflow: it announces one per path beyond the first
  // (for the router with the most paths; fewer paths than that share them, j mod n), and one
  // more each time a path comes back after dying (split_failover.ts): a connection accepts
  // eight announcements in all, the kernel's most.
  setLimits(
    pm,
    () => ({ subflows: SPLIT_SUBFLOWS - 1, addAddrAccepted: MPTCP_ANNOUNCEMENTS_MAX }),
    teardown,
  );
  const split = await SplitWorkerHandle.start({ role: "router" }, log);
  teardown.add("TCP split listeners", () => split.stop());
  service.stats = split.stats;
  // Toward the VPS's listener, once an offer named it.
  const mss = config.interface.effectiveMtu - TCP_IPV4_HEADERS;
  const syncWindows = keepSubflowWindows(
    service,
    nl,
    tunName,
    "dport",
    () => {
      const target = split.target;
      const vps = dataPath.splitPaths()[0];
      if (target === undefined || vps === undefined) return [];
      const dst = `${target.address()}/${target.family === 4 ? 32 : 128}`;
      return [{ dst, windows: subflowWindows(vps.paths, mss) }];
    },
    teardown,
    log,
  );
  // Only while LAN TCP is split: a VPS that offers nothing leaves the system's ceiling.
  keepSendBufferCeiling(
    service,
    () => service.state === "active" ? dataPath.splitPaths()[0]?.paths ?? [] : [],
    teardown,
    log,
  );

  // The redirect follows the offers: on with the first, off when the VPS refuses the listener
  // it offered, and on again with an offer after REFUSED_QUIET_MS (a VPS that offers and refuses
  // would otherwise cost each new connection a reset). Changes run one at a time.
  let changing = Promise.resolve();
  let applying = false;
  let quietUntil = -Infinity;
  // The guard (connections to the listeners that no redirect made are refused) goes in at once.
  const redirect = (on: boolean) =>
    changing = changing.catch(() => {}).then(() =>
      applyRuleset(
        buildRouterRuleset({ tunnelInterface: tunName, splitPort: SPLIT_PORT, splitRedirect: on }),
      )
    );
  redirect(false).catch((err) => log.warn(`TCP split: listener guard not applied: ${err.message}`));
  // A change still running when bond stops must finish before the table is removed (it would
  // put the table back).
  teardown.add("TCP split firewall changes", () => changing.catch(() => {}));
  dataPath.onSplitOffer = (listener) => {
    if (performance.now() < quietUntil) return;
    if (!split.target?.equals(listener)) {
      split.target = listener.clone();
      syncWindows();
    }
    service.listener = split.target;
    if (service.state === "active" || applying) return;
    applying = true;
    redirect(true).then(() => {
      service.state = "active";
      service.reason = null;
      log.info("TCP split on: LAN TCP rides MPTCP, one subflow per link", {
        listener: listener.toString(),
      });
    }, (err) => {
      service.reason = `redirect not applied: ${(err as Error).message}`;
      log.warn(`TCP split: ${service.reason}`);
    }).finally(() => applying = false);
  };
  split.onTargetRefused = (target) => {
    quietUntil = performance.now() + REFUSED_QUIET_MS;
    service.state = "waiting";
    service.listener = undefined;
    service.reason = `the VPS refused its listener ${target}: TCP stays on the packet path`;
    log.warn(`TCP split off: ${service.reason}`);
    redirect(false).catch((err) => log.warn(`TCP split: redirect not removed: ${err.message}`));
  };
  // Nothing accepts redirected connections any more: LAN TCP goes back to the packet path, and
  // no offer brings the redirect back.
  split.onFailed = (message) => {
    quietUntil = Infinity;
    service.state = "unavailable";
    service.listener = undefined;
    service.reason = message;
    log.error(`TCP split stopped: ${message}`);
    redirect(false).catch((err) => log.warn(`TCP split: redirect not removed: ${err.message}`));
  };
  teardown.add("TCP split offers", () => dataPath.onSplitOffer = undefined);
  return service;
}
