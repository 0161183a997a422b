/**
 * `bond -config FILE`: brings the tunnel up in the role the file names, runs until SIGINT or
 * SIGTERM, and undoes everything it set up (TUN device, addresses, routes, policy rules,
 * nftables table, sysctls) whether it stops normally, fails half-way through start-up, or loses
 * its data path.
 *
 * Start-up order (each step registers its undo before the next runs):
 *   1. TUN device, MTU, addresses, link up
 *   2. UDP sockets (router: an ephemeral port per endpoint family, marked for policy routing;
 *      VPS: listen_port on IPv4 and IPv6)
 *   3. routing (allowed-IP routes; router: policy rules keeping the underlay for the tunnel)
 *   4. VPS: IP forwarding and the nftables table (masquerade out of nat.public_interface);
 *      router: the nftables table clamping TCP MSS to the tunnel MTU
 *   5. the data path worker
 *   6. forwards: the router pushes its own to the VPS; the VPS applies what routers push;
 *      the routed LAN prefix: the VPS tells each router its /64, the router puts it on its LAN
 *   7. operations: control socket, SIGHUP reload, metrics listener, VPS speedtest responder
 */
import type { BondConfig } from "../config/types.ts";
import { flushLog, logger, setLogLevel } from "../log.ts";
import { Operations } from "../control/operations.ts";
import { NetlinkSocket } from "../system/netlink/socket.ts";
import { planRouting } from "../system/routing_plan.ts";
import { SysctlChanges } from "../system/sysctl.ts";
import { DataPath } from "../datapath/data_path.ts";
import type { WorkerPeer } from "../datapath/messages.ts";
import { encodeKey, publicKey } from "../protocol/keys.ts";
import { Teardown } from "./teardown.ts";
import { bringUpTunDevice } from "./tun_device.ts";
import { offloadsFromEnv } from "../datapath/offloads.ts";
import { applyRoutingPlan, removeStaleRules } from "./routing.ts";
import { openRoleSockets } from "./sockets.ts";
import { LiveLinks } from "./live_links.ts";
import { resolvePeerEndpoints } from "./resolve.ts";
import { setUpVpsEgress, type VpsEdge } from "./vps_egress.ts";
import { forwardToEntry } from "../edge/forward_entries.ts";
import { setUpLanPrefix } from "./lan_prefix.ts";
import { setUpRouterSplit, setUpVpsSplit } from "./tcp_split.ts";
import { setUpRouterClamp } from "./router_clamp.ts";
import { testTimerOverrides } from "./test_hooks.ts";
import { collectStartupGarbage } from "../v8_flags.ts";

export interface DaemonOptions {
  configPath: string;
  debug: boolean;
}

export async function runDaemon(config: BondConfig, opts: DaemonOptions): Promise<number> {
  setLogLevel(opts.debug ? "debug" : config.log.level);
  const log = logger(config.role);
  const teardown = new Teardown(log);
  const sysctls = new SysctlChanges();
  teardown.add("sysctl settings", async () => {
    for (const problem of await sysctls.restore()) log.warn(problem);
  });

  // A stop requested during start-up is honoured as soon as the current step ends.
  let stopSignal: string | undefined;
  let wakeStop: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (wakeStop = resolve));
  const onSignal = (name: string) => () => {
    if (stopSignal) return;
    stopSignal = name;
    log.info(`${name} received, stopping`);
    wakeStop?.();
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", onSignal("SIGINT")],
    ["SIGTERM", onSignal("SIGTERM")],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);

  let fatal: string | undefined;
  let nl: NetlinkSocket | undefined;
  try {
    nl = NetlinkSocket.open();
    teardown.add("netlink socket", () => nl?.close());
    removeStaleRules(nl, log);

    const offloads = offloadsFromEnv();
    const tun = bringUpTunDevice(nl, config.interface, teardown, log, offloads.tun);
    if (stopSignal) return 0;

    const peers: WorkerPeer[] = [];
    for (const p of config.peers) {
      const resolved = await resolvePeerEndpoints(p);
      peers.push({
        name: p.name,
        publicKey: p.publicKey,
        presharedKey: p.presharedKey,
        endpoint: resolved?.endpoint.toString(),
        alternateEndpoint: resolved?.alternate?.toString(),
        allowedIps: p.allowedIps.map((c) => c.text),
        persistentKeepalive: p.persistentKeepalive,
      });
    }

    const plan = planRouting({
      device: tun.name,
      interfaceAddresses: config.interface.address,
      allowedIps: config.peers.flatMap((p) => p.allowedIps),
      defaultRoute: config.role === "router" && config.routing.defaultRoute,
    });
    const { sockets, links: linkSockets } = openRoleSockets(
      config,
      peers,
      plan.socketMark,
      teardown,
      log,
    );
    if (plan.socketMark !== undefined) {
      // Replies to marked packets must pass reverse-path filtering against the marked lookup.
      await sysctls.set("net.ipv4.conf.all.src_valid_mark", "1");
    }
    applyRoutingPlan(nl, plan, teardown, log);
    let edge: VpsEdge | undefined;
    let nftReady = false;
    if (config.role === "vps") {
      edge = await setUpVpsEgress(config, tun.name, sysctls, teardown, log);
    } else nftReady = await setUpRouterClamp(tun.name, teardown, log);
    if (stopSignal) return 0;

    const timers = testTimerOverrides(log);
    const dataPath = await DataPath.start({
      tunFd: tun.fd,
      offloads: { ...offloads, tun: tun.vnetHeader },
      sockets: sockets.map((s) => ({ fd: s.fd, family: s.family, link: s.link })),
      mtu: config.interface.effectiveMtu,
      privateKey: config.privateKey,
      peers,
      aead: config.crypto.backend,
      epochOffsetMs: Date.now() - performance.now(),
      timers,
      logLevel: opts.debug ? "debug" : config.log.level,
      daemonRole: config.role,
      schedulerMode: config.scheduler.mode,
      links: config.role === "router"
        ? config.links.map((l) => ({
          name: l.name,
          weight: l.weight,
          upMbps: l.upMbps,
          downMbps: l.downMbps,
        }))
        : [],
    }, (message) => {
      fatal = message;
      log.error(`data path stopped: ${message}`);
      wakeStop?.();
    });
    teardown.add("data path", () => dataPath.stop());
    if (edge !== undefined) {
      // Peer index = position in config.peers (the Workers got them in that order); the edge
      // turns it into the peer's public key at once and files the forwards under that.
      dataPath.onForwards = edge.forwardHandler(config.peers);
    } else dataPath.setForwards(config.forwards.map(forwardToEntry));
    const lanPrefix = setUpLanPrefix(config, dataPath, nl, sysctls, teardown, log);
    const tcpSplit = config.role === "vps"
      ? await setUpVpsSplit(config, nl, tun.name, dataPath, sysctls, teardown, log)
      : await setUpRouterSplit(config, nl, tun.name, nftReady, dataPath, teardown, log);

    // Before "tunnel up", so whoever waits for that line finds the control socket ready.
    await Operations.start({
      config,
      configPath: opts.configPath,
      debug: opts.debug,
      dataPath,
      edge,
      lanPrefix,
      tcpSplit,
      links: linkSockets && new LiveLinks(linkSockets, dataPath, log),
      teardown,
    });
    collectStartupGarbage();
    log.info("tunnel up", {
      interface: tun.name,
      role: config.role,
      public_key: encodeKey(publicKey(config.privateKey)),
      crypto: dataPath.aead,
      peers: peers.map((p) => p.endpoint ? `${p.name}@${p.endpoint}` : p.name).join(","),
      listen: sockets.map((s) => s.description).join(","),
    });

    if (!stopSignal) await stopped;
    return fatal ? 1 : 0;
  } finally {
    const failures = await teardown.run();
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
    if (failures === 0) log.info("stopped; everything set up was removed");
    else log.warn(`stopped; ${failures} undo step(s) failed, see above`);
    flushLog();
  }
}
