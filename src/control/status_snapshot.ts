/**
 * Builds the status document from what the daemon knows: the configuration in effect, the data
 * path's snapshot (peers, counters, AEAD) and the operations state (reloads, listeners).
 * Pure: the caller passes the clock readings, so tests build documents without a daemon.
 */
import { formatHostPort } from "../config/host_port.ts";
import type { PeerForwardRow } from "../edge/vps_forwards.ts";
import type { BondConfig, ForwardConfig, LogLevel } from "../config/types.ts";
import { forwardToEntry } from "../edge/forward_entries.ts";
import type { PeerStatus, TunnelStatus } from "../datapath/messages.ts";
import { REJECT_AFTER_TIME } from "../protocol/constants.ts";
import { VERSION } from "../version.ts";
import {
  type LanPrefixDoc,
  type LinkStatusDoc,
  type PeerStatusDoc,
  type ReloadStatusDoc,
  STATUS_SCHEMA,
  type StatusDocument,
  type TcpSplitDoc,
} from "./status_document.ts";

export interface StatusInputs {
  config: BondConfig;
  configFile: string;
  pid: number;
  /** Wall-clock milliseconds when the daemon started, and now. */
  startedAtMs: number;
  nowMs: number;
  tunnel: TunnelStatus;
  logLevel: LogLevel;
  reload: ReloadStatusDoc;
  metricsListen: string | null;
  speedtestListen: string[];
  /** VPS: every peer's forwards, accepted and refused. */
  edgeForwards?: PeerForwardRow[];
  /** Router: the routed LAN prefix; absent: none received (or a VPS). */
  lanPrefix?: LanPrefixDoc;
  /** The TCP split; absent: off (before the daemon set it up). */
  tcpSplit?: TcpSplitDoc;
}

const SPLIT_NOT_SET_UP: TcpSplitDoc = {
  state: "off",
  listener: null,
  reason: "not set up",
  connections: 0,
  accepted: 0,
  failed: 0,
  reset: 0,
  bytes_up: 0,
  bytes_down: 0,
  subflow_windows: [],
  send_buffer_max: null,
};

export function buildStatusDocument(i: StatusInputs): StatusDocument {
  const c = i.config;
  const peers = i.tunnel.peers.map(peerDoc);
  const ages = peers.map((p) => p.handshake_age_ms).filter((a): a is number => a !== null);
  return {
    schema: STATUS_SCHEMA,
    version: VERSION,
    role: c.role,
    pid: i.pid,
    started_at: new Date(i.startedAtMs).toISOString(),
    uptime_ms: Math.max(0, i.nowMs - i.startedAtMs),
    config_file: i.configFile,
    log_level: i.logLevel,
    interface: {
      name: c.interface.name,
      addresses: c.interface.address.map((a) => a.text),
      mtu: c.interface.effectiveMtu,
    },
    tunnel: {
      up: peers.some((p) => p.session === "established"),
      handshake_age_ms: ages.length > 0 ? Math.min(...ages) : null,
    },
    crypto: { backend: i.tunnel.aead },
    offloads: i.tunnel.offloads,
    scheduler: { mode: c.scheduler.mode, tcp: c.scheduler.tcp },
    tcp_split: i.tcpSplit ?? SPLIT_NOT_SET_UP,
    peers,
    links: c.links.map((l): LinkStatusDoc => {
      // What the data path reports of this link (router); absent on a VPS or before start.
      const run = i.tunnel.links?.find((r) => r.name === l.name);
      return {
        name: l.name,
        device: l.device ?? null,
        source: l.source?.text ?? null,
        state: run?.state ?? "configured",
        weight: l.weight,
        rtt_ms: round(run?.rttMs),
        jitter_ms: round(run?.jitterMs),
        loss: run?.loss ?? null,
        rate_down_mbps: null,
        rate_up_mbps: round(run?.rateUpMbps),
        seed_down_mbps: l.downMbps ?? null,
        seed_up_mbps: l.upMbps ?? null,
        rx_bytes: run === undefined ? null : run.rxBytes,
        tx_bytes: run === undefined ? null : run.txBytes,
        last_change: run?.stateAgeMs === undefined
          ? null
          : new Date(i.nowMs - run.stateAgeMs).toISOString(),
      };
    }),
    forwards: c.role === "vps"
      ? (i.edgeForwards ?? []).map((f) => ({ ...f }))
      : c.forwards.map((f) => {
        const reason = refusalOf(i.tunnel, f);
        return {
          proto: f.proto,
          port: f.port,
          to: formatHostPort(f.to),
          state: reason === null ? routerForwardState(i.tunnel) : "refused",
          peer: null,
          reason,
        };
      }),
    lan_prefix: c.role === "vps" ? null : { ...(i.lanPrefix ?? NO_LAN_PREFIX(c)) },
    counters: { ...i.tunnel.counters },
    metrics: { listen: i.metricsListen },
    speedtest: { listen: [...i.speedtestListen] },
    reload: { ...i.reload },
  };
}

const NO_LAN_PREFIX = (c: BondConfig): LanPrefixDoc => ({
  state: "none",
  prefix: null,
  interface: c.lan?.interface ?? null,
  advertising: false,
  reason: null,
});

/** Router: why the VPS refused forward `f` of the acknowledged set, or null. */
function refusalOf(t: TunnelStatus, f: ForwardConfig): string | null {
  if (!t.forwardPush?.acked) return null;
  const wire = forwardToEntry(f);
  const to = wire.to.toString();
  const hit = t.forwardPush.refused?.find((r) =>
    r.proto === wire.proto && r.port === wire.port && r.to.toString() === to
  );
  return hit?.reason ?? null;
}

function routerForwardState(t: TunnelStatus): string {
  if (t.forwardPush === undefined || t.counters.forwardSyncsSent === 0) return "configured";
  return t.forwardPush.acked ? "acknowledged" : "sent";
}

function peerDoc(p: PeerStatus): PeerStatusDoc {
  const age = p.handshakeAgeMs ?? null;
  return {
    name: p.name,
    public_key: p.publicKey,
    endpoint: p.endpoint ?? null,
    handshake_age_ms: age === null ? null : Math.round(age),
    session: age === null ? "none" : age < REJECT_AFTER_TIME ? "established" : "expired",
    rx_bytes: p.rxBytes,
    tx_bytes: p.txBytes,
    rx_packets: p.rxPackets,
    tx_packets: p.txPackets,
    paths: (p.paths ?? []).map((path) => ({
      link: path.link,
      endpoint: path.endpoint,
      state: path.state,
      rtt_ms: round(path.rttMs),
    })),
  };
}

/** Milliseconds and Mbit/s to 0.01; null when not measured. */
function round(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : Math.round(v * 100) / 100;
}
