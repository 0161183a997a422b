/**
 * The status document: what `bond status --json` prints and what the control socket's `status`
 * command returns. One shape for people's table, machines and the metrics page.
 *
 * Per-link measurements (RTT, jitter, loss, rates, bytes, last change) and per-peer paths are
 * always part of the shape; where nothing was measured yet (a single link that never bonds, a
 * path before its first probe) they are null and paths are empty, so consumers never have to
 * special-case a missing key. Durations are milliseconds, rates Mbit/s, times ISO 8601 UTC.
 */

/** Changes only when a field changes meaning or disappears; new fields keep the number. */
export const STATUS_SCHEMA = "bond.status/1";

export interface PeerPathStatus {
  link: string;
  endpoint: string;
  state: string;
  rtt_ms: number | null;
}

export interface PeerStatusDoc {
  name: string;
  public_key: string;
  /** The peer's current UDP endpoint; null until known (a VPS learns it from the peer). */
  endpoint: string | null;
  /** Milliseconds since the last completed handshake; null when none has completed. */
  handshake_age_ms: number | null;
  /** "established": keys usable now; "expired": last session too old; "none": never. */
  session: "established" | "expired" | "none";
  rx_bytes: number;
  tx_bytes: number;
  rx_packets: number;
  tx_packets: number;
  /** The peer's paths (one per WAN it reaches us over); empty until bonding exists. */
  paths: PeerPathStatus[];
}

export interface LinkStatusDoc {
  name: string;
  device: string | null;
  source: string | null;
  /** "configured" for a link that does not bond (a single link); else up/degraded/down/probing. */
  state: string;
  weight: number;
  rtt_ms: number | null;
  jitter_ms: number | null;
  /** Fraction 0-1 of probes or packets lost, recent window. */
  loss: number | null;
  rate_down_mbps: number | null;
  rate_up_mbps: number | null;
  /** Scheduler seeds from the file (down_mbps, up_mbps); null when not given. */
  seed_down_mbps: number | null;
  seed_up_mbps: number | null;
  rx_bytes: number | null;
  tx_bytes: number | null;
  /** When `state` last changed; null while configured only. */
  last_change: string | null;
}

export interface ForwardStatusDoc {
  proto: "tcp" | "udp";
  port: number;
  to: string;
  /**
   * Router: "configured" until the peer bonds, "sent" until it acknowledges them,
   * "acknowledged" once it has, or "refused" with the VPS's `reason`.
   * VPS: "pushed" or "static" when in the nftables table, "refused" with `reason`.
   */
  state: string;
  /** VPS: the peer the forward belongs to; null on a router. */
  peer: string | null;
  /** Why the VPS refused it; null otherwise. */
  reason: string | null;
}

/** Router: the routed IPv6 prefix the VPS hands it (`nat.ipv6_prefix` there) and its LAN use. */
export interface LanPrefixDoc {
  /**
   * "none": the VPS has handed none; "received": known, not put on a LAN (no lan.interface);
   * "applied": the router's address of it is on `interface`; "failed": see `reason`.
   */
  state: "none" | "received" | "applied" | "failed";
  /** `2001:db8:100::/64`; null when none. */
  prefix: string | null;
  /** `lan.interface`; null when not configured. */
  interface: string | null;
  /** Router Advertisements for the prefix are being sent on `interface`. */
  advertising: boolean;
  reason: string | null;
}

export interface ReloadStatusDoc {
  /** When the last reload was attempted; null if never. */
  at: string | null;
  result: "applied" | "rejected" | null;
  /** Why the last reload was rejected (empty otherwise). */
  problems: string[];
  /** Keys changed in the file that apply only after a restart. */
  needs_restart: string[];
  /** Keys accepted but not acted on by this build yet (links, forwards). */
  pending: string[];
}

/** The TCP split (docs/tcp_split.md): LAN TCP carried as MPTCP, one subflow per path. */
export interface TcpSplitDoc {
  /**
   * active: router redirects LAN TCP / VPS offers its listener; waiting: the router waits for
   * the VPS's offer; off: the configuration says no (see reason); unavailable: this host cannot.
   */
  state: "active" | "waiting" | "off" | "unavailable";
  /** The VPS's MPTCP listener (router: as offered), `10.66.0.1:65010`. */
  listener: string | null;
  reason: string | null;
  /** Connections open now, taken over in all, not carried (unreachable, refused), reset. */
  connections: number;
  accepted: number;
  failed: number;
  reset: number;
  /** Bytes relayed over finished connections, towards the VPS side and back. */
  bytes_up: number;
  bytes_down: number;
  /**
   * The initial congestion window, in packets, of subflows 0-7 towards each destination the
   * split routes them to (router: the VPS's listener; VPS: its routers' allowed IPs); empty
   * while none is set.
   */
  subflow_windows: { destination: string; initcwnd: number[] }[];
  /**
   * Router: the ceiling on TCP send buffers (net.ipv4.tcp_wmem's maximum, bytes) set for the
   * subflows; null while the system's own stands.
   */
  send_buffer_max: number | null;
}

export interface StatusDocument {
  schema: typeof STATUS_SCHEMA;
  version: string;
  role: "router" | "vps";
  pid: number;
  started_at: string;
  uptime_ms: number;
  config_file: string;
  log_level: "error" | "warn" | "info" | "debug";
  interface: { name: string; addresses: string[]; mtu: number };
  tunnel: {
    /** At least one peer has an established session. */
    up: boolean;
    /** Youngest handshake among the peers; null when none completed. */
    handshake_age_ms: number | null;
  };
  crypto: { backend: string };
  /** The data path's offloads in use: "gso", "gro", "tun" (docs/datapath.md). */
  offloads: string[];
  scheduler: { mode: string; tcp: string };
  tcp_split: TcpSplitDoc;
  peers: PeerStatusDoc[];
  links: LinkStatusDoc[];
  forwards: ForwardStatusDoc[];
  /** Router: the routed LAN prefix; null on a VPS. */
  lan_prefix: LanPrefixDoc | null;
  /** Data path and protocol counters by name, drop reasons included. */
  counters: Record<string, number>;
  metrics: { listen: string | null };
  speedtest: { listen: string[] };
  reload: ReloadStatusDoc;
}

type Check = (value: unknown, path: string, problems: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const str: Check = (v, p, out) => {
  if (typeof v !== "string") out.push(`${p}: want a string`);
};
const num: Check = (v, p, out) => {
  if (typeof v !== "number" || !Number.isFinite(v)) out.push(`${p}: want a number`);
};
const count: Check = (v, p, out) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    out.push(`${p}: want a whole number >= 0`);
  }
};
const bool: Check = (v, p, out) => {
  if (typeof v !== "boolean") out.push(`${p}: want true or false`);
};
const orNull = (c: Check): Check => (v, p, out) => {
  if (v !== null) c(v, p, out);
};
const oneOf = (...choices: string[]): Check => (v, p, out) => {
  if (typeof v !== "string" || !choices.includes(v)) out.push(`${p}: want ${choices.join(" | ")}`);
};
const list = (item: Check): Check => (v, p, out) => {
  if (!Array.isArray(v)) return void out.push(`${p}: want a list`);
  v.forEach((x, i) => item(x, `${p}[${i}]`, out));
};
const shape = (fields: Record<string, Check>): Check => (v, p, out) => {
  if (!isObject(v)) return void out.push(`${p || "(document)"}: want an object`);
  for (const [key, check] of Object.entries(fields)) {
    const at = p ? `${p}.${key}` : key;
    if (!(key in v)) out.push(`${at}: missing`);
    else check(v[key], at, out);
  }
};
const counters: Check = (v, p, out) => {
  if (!isObject(v)) return void out.push(`${p}: want an object`);
  for (const [k, n] of Object.entries(v)) count(n, `${p}.${k}`, out);
};

const PEER = shape({
  name: str,
  public_key: str,
  endpoint: orNull(str),
  handshake_age_ms: orNull(num),
  session: oneOf("established", "expired", "none"),
  rx_bytes: count,
  tx_bytes: count,
  rx_packets: count,
  tx_packets: count,
  paths: list(shape({ link: str, endpoint: str, state: str, rtt_ms: orNull(num) })),
});

const LINK = shape({
  name: str,
  device: orNull(str),
  source: orNull(str),
  state: str,
  weight: num,
  rtt_ms: orNull(num),
  jitter_ms: orNull(num),
  loss: orNull(num),
  rate_down_mbps: orNull(num),
  rate_up_mbps: orNull(num),
  seed_down_mbps: orNull(num),
  seed_up_mbps: orNull(num),
  rx_bytes: orNull(count),
  tx_bytes: orNull(count),
  last_change: orNull(str),
});

const DOCUMENT = shape({
  schema: oneOf(STATUS_SCHEMA),
  version: str,
  role: oneOf("router", "vps"),
  pid: count,
  started_at: str,
  uptime_ms: num,
  config_file: str,
  log_level: oneOf("error", "warn", "info", "debug"),
  interface: shape({ name: str, addresses: list(str), mtu: count }),
  tunnel: shape({ up: bool, handshake_age_ms: orNull(num) }),
  crypto: shape({ backend: str }),
  offloads: list(str),
  scheduler: shape({ mode: str, tcp: oneOf("mptcp", "packet") }),
  tcp_split: shape({
    state: oneOf("active", "waiting", "off", "unavailable"),
    listener: orNull(str),
    reason: orNull(str),
    connections: count,
    accepted: count,
    failed: count,
    reset: count,
    bytes_up: count,
    bytes_down: count,
    subflow_windows: list(shape({ destination: str, initcwnd: list(count) })),
    send_buffer_max: orNull(count),
  }),
  peers: list(PEER),
  links: list(LINK),
  forwards: list(shape({
    proto: oneOf("tcp", "udp"),
    port: count,
    to: str,
    state: str,
    peer: orNull(str),
    reason: orNull(str),
  })),
  lan_prefix: orNull(shape({
    state: oneOf("none", "received", "applied", "failed"),
    prefix: orNull(str),
    interface: orNull(str),
    advertising: bool,
    reason: orNull(str),
  })),
  counters,
  metrics: shape({ listen: orNull(str) }),
  speedtest: shape({ listen: list(str) }),
  reload: shape({
    at: orNull(str),
    result: (v, p, out) => v === null ? undefined : oneOf("applied", "rejected")(v, p, out),
    problems: list(str),
    needs_restart: list(str),
    pending: list(str),
  }),
});

/**
 * Every way `value` differs from the status schema, as `path: what was expected`. The CLI checks
 * what a daemon sent before printing it, so a daemon of another version fails with a reason.
 */
export function statusDocumentProblems(value: unknown): string[] {
  const problems: string[] = [];
  DOCUMENT(value, "", problems);
  return problems;
}
