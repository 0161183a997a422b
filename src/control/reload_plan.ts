/**
 * What a reload changes: the new file compared key by key with what runs.
 *
 * - live: log.level, metrics.listen, scheduler.mode (bonded peers switch schedulers) take
 *   effect at once; so do the router's `links` (added, removed, moved or retuned on the running
 *   tunnel by the daemon, see src/roles/live_links.ts, which reports what it could not apply)
 *   and `forwards` (pushed to the VPS again) and, on the VPS, `peers[].forwards` and
 *   `peers[].reach` (the edge's nftables table is rebuilt in one transaction) while the peer
 *   list itself is unchanged;
 * - pending: kept in the report's shape for keys a build accepts before it acts on them; none
 *   today;
 * - needs restart: everything the tunnel was built from (keys, peers, interface, routing, NAT,
 *   crypto, the control socket, the TCP split's `scheduler.tcp`). The data path takes its peers once at start, so peer changes
 *   are reported here instead of pretended.
 *
 * Restart keys are compared with the configuration the daemon started with, the others with the
 * one in effect, so reloading the same edited file twice reports the same restart list.
 */
import { formatHostPort } from "../config/host_port.ts";
import type { BondConfig } from "../config/types.ts";
import type { ReloadReport } from "./control_protocol.ts";

export interface ReloadPlan {
  report: ReloadReport;
  /** The configuration in effect after the reload. */
  effective: BondConfig;
  logLevelChanged: boolean;
  metricsChanged: boolean;
  /** VPS: peers' forwards or reach changed, so the edge table must be rebuilt. */
  edgeChanged: boolean;
  /** Router: its forwards changed, so they are pushed to the VPS again. */
  forwardsChanged: boolean;
  schedulerChanged: boolean;
  /** Router: its links changed; the daemon applies them and reports each change. */
  linksChanged: boolean;
}

export function planReload(started: BondConfig, current: BondConfig, next: BondConfig): ReloadPlan {
  const applied: string[] = [];
  const change = (key: string, before: string, after: string) => {
    if (before !== after) applied.push(`${key}: ${before} -> ${after}`);
    return before !== after;
  };
  const logLevelChanged = change("log.level", current.log.level, next.log.level);
  const metricsChanged = change(
    "metrics.listen",
    listenText(current),
    listenText(next),
  );
  const schedulerChanged = change("scheduler.mode", current.scheduler.mode, next.scheduler.mode);
  // Router: pushed to the VPS again, which applies them live.
  const forwardsChanged = canonical(current.forwards) !== canonical(next.forwards);
  if (forwardsChanged) {
    applied.push(`forwards: ${current.forwards.length} -> ${next.forwards.length} entries`);
  }

  const edge = edgeChanges(current, next);
  applied.push(...edge.applied);

  const pending: string[] = [];
  const linksChanged = canonical(current.links) !== canonical(next.links);

  return {
    report: { applied, needs_restart: restartKeys(started, next), pending },
    effective: {
      ...current,
      log: next.log,
      metrics: next.metrics,
      scheduler: { mode: next.scheduler.mode, tcp: current.scheduler.tcp },
      links: next.links,
      forwards: next.forwards,
      peers: edge.peers,
    },
    logLevelChanged,
    metricsChanged,
    edgeChanged: edge.applied.length > 0,
    forwardsChanged,
    schedulerChanged,
    linksChanged,
  };
}

/**
 * The VPS's per-peer edge keys, taken from the file when the peer list is the same length (a
 * changed list needs a restart and is reported there; its edge keys wait for it too).
 */
function edgeChanges(current: BondConfig, next: BondConfig) {
  if (current.role !== "vps" || current.peers.length !== next.peers.length) {
    return { peers: current.peers, applied: [] as string[] };
  }
  const applied: string[] = [];
  const peers = current.peers.map((p, i) => {
    const n = next.peers[i];
    if (canonical(p.forwards) !== canonical(n.forwards)) {
      applied.push(`peers[${i}].forwards: ${p.forwards.length} -> ${n.forwards.length} entries`);
    }
    if (canonical(p.reach) !== canonical(n.reach)) {
      applied.push(`peers[${i}].reach: [${p.reach.join(", ")}] -> [${n.reach.join(", ")}]`);
    }
    return { ...p, forwards: n.forwards, reach: n.reach };
  });
  return { peers, applied };
}

function listenText(c: BondConfig): string {
  return c.metrics.listen ? formatHostPort(c.metrics.listen) : "off";
}

function restartKeys(started: BondConfig, next: BondConfig): string[] {
  const keys: string[] = [];
  const cmp = (key: string, a: unknown, b: unknown) => {
    if (canonical(a) !== canonical(b)) keys.push(key);
  };
  cmp("role", started.role, next.role);
  cmp("private_key", started.privateKey, next.privateKey);
  cmp("interface.name", started.interface.name, next.interface.name);
  cmp("interface.address", started.interface.address, next.interface.address);
  cmp("interface.mtu", started.interface.mtu, next.interface.mtu);
  cmp("interface.listen_port", started.interface.listenPort, next.interface.listenPort);
  if (started.peers.length !== next.peers.length) {
    keys.push(`peers (${started.peers.length} running, ${next.peers.length} in the file)`);
  } else {
    started.peers.forEach((a, i) => {
      const b = next.peers[i];
      const at = `peers[${i}]`;
      cmp(`${at}.name`, a.name, b.name);
      cmp(`${at}.public_key`, a.publicKey, b.publicKey);
      cmp(`${at}.preshared_key`, a.presharedKey, b.presharedKey);
      cmp(`${at}.endpoint`, a.endpoint, b.endpoint);
      cmp(`${at}.allowed_ips`, a.allowedIps, b.allowedIps);
      cmp(`${at}.persistent_keepalive`, a.persistentKeepalive, b.persistentKeepalive);
    });
  }
  // The TCP split is set up at start (listeners, MPTCP limits, the VPS's announcements).
  cmp("scheduler.tcp", started.scheduler.tcp, next.scheduler.tcp);
  cmp("routing.default_route", started.routing.defaultRoute, next.routing.defaultRoute);
  cmp("lan", started.lan, next.lan);
  cmp("nat.public_interface", started.nat?.publicInterface, next.nat?.publicInterface);
  cmp("crypto.backend", started.crypto.backend, next.crypto.backend);
  cmp("control.socket", started.control.socket, next.control.socket);
  return keys;
}

/** Comparable text of a config value; key bytes as hex. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value ?? null,
    (_k, v) =>
      v instanceof Uint8Array ? Array.from(v, (b) => b.toString(16).padStart(2, "0")).join("") : v,
  ) ??
    "null";
}
