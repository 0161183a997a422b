/**
 * The metrics page: the status document as Prometheus families. Peers are labelled by name and
 * public key, links by name; counters of the data path become `bond_drops_total{reason}` (every
 * reason a packet was dropped), `bond_datapath_level{name}` (the few that are levels, which go
 * down as well as up: a high-water mark, a timeout, a count of bonded peers) and
 * `bond_datapath_events_total{event}` (everything else).
 */
import { VERSION } from "../version.ts";
import { type MetricFamily, snakeCase } from "./prometheus_text.ts";
import type { StatusDocument } from "./status_document.ts";

const DROP_COUNTER = /^(drop|tunnelDrop)|Errors$|^noSocketForFamily$/;
/** Entries of the counters that are levels, not counts (a counter family must never go down). */
const LEVEL = /MaxBuffered$|ExtraMs$|^bondedPeers$/;

export function statusMetrics(doc: StatusDocument): MetricFamily[] {
  const peer = (p: StatusDocument["peers"][number]) => ({ peer: p.name, public_key: p.public_key });
  const counterEntries = Object.entries(doc.counters).sort(([a], [b]) => a.localeCompare(b));
  const families: MetricFamily[] = [
    {
      name: "bond_build_info",
      help: "Version, runtime, role and crypto backend of this bond; always 1.",
      type: "gauge",
      samples: [{
        labels: {
          version: VERSION,
          deno: Deno.version.deno,
          role: doc.role,
          crypto: doc.crypto.backend,
          interface: doc.interface.name,
        },
        value: 1,
      }],
    },
    {
      name: "bond_start_time_seconds",
      help: "When the daemon started, seconds since the Unix epoch.",
      type: "gauge",
      samples: [{ value: Date.parse(doc.started_at) / 1000 }],
    },
    {
      name: "bond_tunnel_up",
      help: "1 when at least one peer has an established session.",
      type: "gauge",
      samples: [{ value: doc.tunnel.up ? 1 : 0 }],
    },
    {
      name: "bond_scheduler_mode",
      help: "The scheduler mode in effect (the label); always 1.",
      type: "gauge",
      samples: [{ labels: { mode: doc.scheduler.mode }, value: 1 }],
    },
    ...tcpSplit(doc),
    {
      name: "bond_peer_session_established",
      help: "1 when the peer's session keys are usable now.",
      type: "gauge",
      samples: doc.peers.map((p) => ({
        labels: peer(p),
        value: p.session === "established" ? 1 : 0,
      })),
    },
    {
      name: "bond_peer_handshake_age_seconds",
      help: "Seconds since the peer's last completed handshake (absent if none).",
      type: "gauge",
      samples: doc.peers.filter((p) => p.handshake_age_ms !== null).map((p) => ({
        labels: peer(p),
        value: p.handshake_age_ms! / 1000,
      })),
    },
    {
      name: "bond_peer_receive_bytes_total",
      help: "Bytes received from the peer (transport payloads).",
      type: "counter",
      samples: doc.peers.map((p) => ({ labels: peer(p), value: p.rx_bytes })),
    },
    {
      name: "bond_peer_transmit_bytes_total",
      help: "Bytes sent to the peer (transport payloads).",
      type: "counter",
      samples: doc.peers.map((p) => ({ labels: peer(p), value: p.tx_bytes })),
    },
    {
      name: "bond_peer_receive_packets_total",
      help: "Packets received from the peer.",
      type: "counter",
      samples: doc.peers.map((p) => ({ labels: peer(p), value: p.rx_packets })),
    },
    {
      name: "bond_peer_transmit_packets_total",
      help: "Packets sent to the peer.",
      type: "counter",
      samples: doc.peers.map((p) => ({ labels: peer(p), value: p.tx_packets })),
    },
    {
      name: "bond_drops_total",
      help: "Packets and datagrams dropped, by reason.",
      type: "counter",
      samples: counterEntries.filter(([k]) => DROP_COUNTER.test(k)).map(([k, v]) => ({
        labels: { reason: snakeCase(k) },
        value: v,
      })),
    },
    {
      name: "bond_datapath_events_total",
      help: "Protocol and data path events (messages sent and received, handshakes), by event.",
      type: "counter",
      samples: counterEntries.filter(([k]) => !DROP_COUNTER.test(k) && !LEVEL.test(k)).map((
        [k, v],
      ) => ({
        labels: { event: snakeCase(k) },
        value: v,
      })),
    },
    {
      name: "bond_datapath_level",
      help: "Data path levels: reorder high-water mark, added reorder timeout (ms), bonded peers.",
      type: "gauge",
      samples: counterEntries.filter(([k]) => LEVEL.test(k)).map(([k, v]) => ({
        labels: { name: snakeCase(k) },
        value: v,
      })),
    },
    {
      name: "bond_link_info",
      help: "Configured links with their state (labels); always 1.",
      type: "gauge",
      samples: doc.links.map((l) => ({
        labels: { link: l.name, device: l.device ?? "", state: l.state },
        value: 1,
      })),
    },
    {
      name: "bond_link_weight",
      help: "Static weight of each link.",
      type: "gauge",
      samples: doc.links.map((l) => ({ labels: { link: l.name }, value: l.weight })),
    },
    ...linkMeasurements(doc),
  ];
  if (doc.reload.result !== null) {
    families.push({
      name: "bond_config_last_reload_successful",
      help: "1 if the last configuration reload was applied, 0 if it was rejected.",
      type: "gauge",
      samples: [{ value: doc.reload.result === "applied" ? 1 : 0 }],
    });
  }
  return families;
}

type LinkDoc = StatusDocument["links"][number];

/** Per-link measurements; a link contributes a sample once the value has been measured. */
function linkMeasurements(doc: StatusDocument): MetricFamily[] {
  const family = (
    name: string,
    help: string,
    type: MetricFamily["type"],
    pick: (l: LinkDoc) => number | null,
  ): MetricFamily => ({
    name,
    help,
    type,
    samples: doc.links.flatMap((l) => {
      const v = pick(l);
      return v === null ? [] : [{ labels: { link: l.name }, value: v }];
    }),
  });
  const perSecond = (mbps: number | null) => mbps === null ? null : mbps * 1e6;
  const seconds = (ms: number | null) => ms === null ? null : ms / 1000;
  return [
    family(
      "bond_link_rtt_seconds",
      "Smoothed round-trip time of each link.",
      "gauge",
      (l) => seconds(l.rtt_ms),
    ),
    family(
      "bond_link_jitter_seconds",
      "Round-trip time variation of each link.",
      "gauge",
      (l) => seconds(l.jitter_ms),
    ),
    family("bond_link_loss_ratio", "Recent loss of each link, 0-1.", "gauge", (l) => l.loss),
    family(
      "bond_link_down_bits_per_second",
      "Measured download rate of each link.",
      "gauge",
      (l) => perSecond(l.rate_down_mbps),
    ),
    family(
      "bond_link_up_bits_per_second",
      "Measured upload rate of each link.",
      "gauge",
      (l) => perSecond(l.rate_up_mbps),
    ),
    family(
      "bond_link_receive_bytes_total",
      "Bytes received over each link.",
      "counter",
      (l) => l.rx_bytes,
    ),
    family(
      "bond_link_transmit_bytes_total",
      "Bytes sent over each link.",
      "counter",
      (l) => l.tx_bytes,
    ),
  ];
}

/** The TCP split (docs/tcp_split.md): its state, open connections and totals. */
function tcpSplit(doc: StatusDocument): MetricFamily[] {
  const t = doc.tcp_split;
  const total = (name: string, help: string, value: number): MetricFamily => ({
    name: `bond_tcp_split_${name}_total`,
    help,
    type: "counter",
    samples: [{ value }],
  });
  return [
    {
      name: "bond_tcp_split_state",
      help: "The TCP split's state (the label: active, waiting, off, unavailable); always 1.",
      type: "gauge",
      samples: [{ labels: { state: t.state }, value: 1 }],
    },
    {
      name: "bond_tcp_split_connections",
      help: "TCP connections carried over the split now.",
      type: "gauge",
      samples: [{ value: t.connections }],
    },
    total("accepted", "TCP connections taken over by the split.", t.accepted),
    total(
      "failed",
      "Split connections not carried (destination unreachable or refusing).",
      t.failed,
    ),
    total("reset", "Carried split connections that ended with a reset.", t.reset),
    total(
      "sent_bytes",
      "Bytes relayed towards the VPS side over finished connections.",
      t.bytes_up,
    ),
    total("received_bytes", "Bytes relayed back over finished connections.", t.bytes_down),
  ];
}
