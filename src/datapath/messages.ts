/**
 * Messages between the main thread (control plane) and the data-path Workers (TX: tunnel →
 * network, RX: network → tunnel). Structured-clone friendly: keys as Uint8Array (transferred,
 * so no copy stays behind), endpoints as text. None of them is per packet: packets, counters
 * and per-peer activity move through shared memory.
 */
import type { SchedulerMode } from "../bonding/scheduler.ts";
import type { ForwardRefusal } from "../bonding/control_frame_types.ts";
import type { ProtocolTimers } from "../protocol/timers.ts";
import type { BondedPeerMemory } from "./bonded_sender.ts";
import type { BondedReceiveMemory } from "./bonded_receiver.ts";
import type { ReceiveKeyMaterial, SendKeyMaterial } from "../protocol/transport_links.ts";

export interface WorkerPeer {
  name: string;
  publicKey: Uint8Array;
  presharedKey?: Uint8Array;
  /** "192.0.2.1:65535" or "[2001:db8::1]:65535", resolved by the main thread. */
  endpoint?: string;
  /** Router: the same VPS's endpoint of the other family, for links of that family. */
  alternateEndpoint?: string;
  allowedIps: string[];
  persistentKeepalive: number;
}

export interface WorkerSocket {
  fd: number;
  family: 4 | 6;
  /** Router: the id of the link this socket is bound to (see router_link_ids.ts). VPS: absent. */
  link?: number;
}

/**
 * Socket slots each Worker keeps: the VPS uses two, a router two per link (one per family) for
 * up to PATHS_PER_PEER links. Fixed, so per-socket shared memory is sized once at start and a
 * socket added at run time (a link added by a reload) takes a free slot.
 */
export const SOCKET_SLOTS = 18;

export type LogLevel = "error" | "warn" | "info" | "debug";
export type AeadChoice = "auto" | "openssl" | "libsodium" | "noble";

/** What the daemon hands `DataPath.start`. */
export interface DataPathOptions {
  tunFd: number;
  /** The offloads to use; `tun` only if the TUN fd was opened with a virtio_net_hdr. */
  offloads: Offloads;
  sockets: WorkerSocket[];
  mtu: number;
  privateKey: Uint8Array;
  peers: WorkerPeer[];
  aead: AeadChoice;
  /** Wall clock minus monotonic clock at start, for TAI64N timestamps. */
  epochOffsetMs: number;
  /** Test-only override of protocol timers (milliseconds), from BOND_TEST_PROTOCOL_TIMERS. */
  timers?: Partial<ProtocolTimers>;
  logLevel: LogLevel;
  /** Which end of the tunnel this daemon is (TCP split subflows are recognised by it). */
  daemonRole: DaemonRole;
  /** How bonded peers' packets are spread over their paths. @default "aggregate" */
  schedulerMode?: SchedulerMode;
  /**
   * Router: its links in configuration order (link id = position; each socket names its link).
   * VPS: empty, it learns the router's links from link hellos. @default []
   */
  links?: DataPathLink[];
}

/** A router link as the data path needs it. */
export interface DataPathLink {
  name: string;
  weight: number;
  upMbps?: number;
  downMbps?: number;
}

export type WorkerRole = "tx" | "rx";
export type DaemonRole = "router" | "vps";

/** The first message to a Worker: everything it needs to run its loop. */
export interface WorkerStart {
  type: "start";
  role: WorkerRole;
  tunFd: number;
  /** The sockets at start, in slots 0..n-1; the other slots (up to SOCKET_SLOTS) are free. */
  sockets: WorkerSocket[];
  /** eventfd the main thread signals after each message (wakes a blocked poll). */
  wakeFd: number;
  /** Int32 count of messages posted after "start" (see mailbox.ts). */
  mailbox: SharedArrayBuffer;
  /** Per-peer activity (peer_activity.ts), shared by all three threads. */
  activity: SharedArrayBuffer;
  /** This Worker's counters (shared_counters.ts). */
  counters: SharedArrayBuffer;
  /** Bytes and datagrams per socket (socket_traffic.ts), shared by all three threads. */
  socketTraffic: SharedArrayBuffer;
  /** Allowed IPs of every peer, in configuration order (peers are named by position). */
  peers: { allowedIps: string[] }[];
  mtu: number;
  aead: AeadChoice;
  timers?: Partial<ProtocolTimers>;
  /** The main thread's performance.timeOrigin: every thread's `now` counts from it. */
  timeOrigin: number;
  /** Which offloads to use (see offloads.ts); `tun` as the TUN fd was opened. */
  offloads: Offloads;
  daemonRole: DaemonRole;
}

/**
 * UDP segmentation offload on send (TX), coalescing on receive (RX), and TCP offloads at the
 * TUN device (its fd then carries a virtio_net_hdr on every read and write).
 */
export interface Offloads {
  gso: boolean;
  gro: boolean;
  tun: boolean;
}

/**
 * Main → both Workers: socket slot `slot` gets a socket, or is given up. A Worker answers
 * "socket-released" once it no longer touches the fd, so the main thread may close it.
 */
export type SocketMessage =
  | { type: "open-socket"; slot: number; socket: WorkerSocket }
  | { type: "release-socket"; slot: number };

/** Main → TX. */
export type SenderMessage =
  | SocketMessage
  /** A bonded peer's scheduler mode changed (a reload). */
  | { type: "set-mode"; peer: number; mode: SchedulerMode }
  | { type: "set-keypair"; peer: number; keypair?: SendKeyMaterial }
  | { type: "set-endpoint"; peer: number; endpoint: string }
  | { type: "flush"; peer: number }
  | { type: "keepalive"; peer: number }
  | { type: "drop-staged"; peer: number }
  /**
   * Seal a control frame for `peer` and send it on path `path` (from socket `socket` to `to`);
   * socket -1: scheduled like data (receive reports), `to` then unused.
   */
  | {
    type: "control";
    peer: number;
    path: number;
    socket: number;
    to: string | null;
    payload: Uint8Array;
  }
  /** `peer` bonds: its path table and send logs (shared memory), scheduled in `mode`. */
  | { type: "bond-peer"; peer: number; mode: SchedulerMode; memory: BondedPeerMemory }
  /** Path `path` of a bonded peer: its socket (-1: gone) and endpoint (null: the peer's). */
  | { type: "set-path"; peer: number; path: number; socket: number; endpoint: string | null };

/** Main → RX. */
export type ReceiverMessage =
  | SocketMessage
  | { type: "add-keypair"; peer: number; keypair: ReceiveKeyMaterial }
  | { type: "remove-keypair"; localIndex: number }
  | { type: "set-endpoint"; peer: number; endpoint: string }
  /** `peer` bonds: count per path into `counts`, reorder with the settings in `reorder`. */
  | { type: "bond-peer"; peer: number; memory: BondedReceiveMemory }
  /** Datagrams on `socket` from `endpoint` (null: any) are path `path` of `peer`; -1: gone. */
  | { type: "set-path"; peer: number; path: number; socket: number; endpoint: string | null };

export type MainToWorker = WorkerStart | SenderMessage | ReceiverMessage | { type: "stop" };

/** Either Worker → main: it no longer uses the fd of `slot`. */
export type SocketReleased = { type: "socket-released"; slot: number };

/** TX → main. */
export type SenderReport = { type: "handshake-needed"; peer: number } | SocketReleased;

/** RX → main. */
export type ReceiverReport =
  | SocketReleased
  | { type: "handshake-message"; datagram: Uint8Array; from: string }
  | { type: "keypair-confirmed"; peer: number; localIndex: number }
  | { type: "endpoint-changed"; peer: number; from: string }
  | { type: "near-expiry"; peer: number }
  /**
   * An authenticated control frame (zero padding included) that came in on `socket` from `from`,
   * by path `path` of a bonded peer (-1: not bonded, or no path of it).
   */
  | {
    type: "control";
    peer: number;
    socket: number;
    from: string;
    path: number;
    payload: Uint8Array;
  };

export type WorkerToMain =
  | { type: "ready"; aead: string }
  | { type: "log"; level: LogLevel; message: string; fields?: Record<string, string | number> }
  | { type: "stopped" }
  | { type: "fatal"; message: string }
  | SenderReport
  | ReceiverReport;

export interface PeerStatus {
  name: string;
  publicKey: string;
  endpoint?: string;
  /** Milliseconds since the last completed handshake; absent if none yet. */
  handshakeAgeMs?: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** VPS: the router's links learned from its hellos; router: empty. */
  paths?: PathStatus[];
}

/** A path of a peer as the VPS learned it. */
export interface PathStatus {
  link: string;
  linkId: number;
  endpoint: string;
  /** "up" while hellos keep coming, "silent" after LINK_SILENT_MS without one. */
  state: string;
  /** Milliseconds since the last hello on this path. */
  lastHelloAgeMs: number;
  rebinds: number;
  /** Smoothed RTT of our probes on this path. */
  rttMs?: number;
}

/** A router link at run time. */
export interface LinkStatus {
  name: string;
  /**
   * "configured" (no hello sent yet), "waiting" (hellos unanswered), "up" (acked recently),
   * "silent" (acks stopped), "single" (the peer does not bond: plain WireGuard on link 0).
   */
  state: string;
  /** Milliseconds since `state` last changed; absent while configured. */
  stateAgeMs?: number;
  /** The link's public endpoint as the peer sees it. */
  observed?: string;
  /** From our probes once the peer bonds: smoothed RTT, its variation, loss 0-1. */
  rttMs?: number;
  jitterMs?: number;
  loss?: number;
  /** The sending rate estimate (router → VPS), Mbit/s. */
  rateUpMbps?: number;
  txBytes: number;
  rxBytes: number;
  txDatagrams: number;
  rxDatagrams: number;
}

export interface TunnelStatus {
  /** The AEAD backend sealing and opening ("openssl"; "tx:openssl rx:noble" if they differ). */
  aead: string;
  /** The backend each data-path Worker loaded. */
  aeadByWorker: { tx: string; rx: string };
  /** The offloads in use ("gso", "gro", "tun"; see offloads.ts). */
  offloads: string[];
  peers: PeerStatus[];
  /** Protocol and data-path counters, drop reasons included. */
  counters: Record<string, number>;
  /** Router: one per configured link, in order. VPS: empty. */
  links?: LinkStatus[];
  /**
   * Router: the forwards' generation, whether the peer acknowledged it and what it refused
   * (with reasons); undefined: none.
   */
  forwardPush?: { generation: number; acked: boolean; refused?: ForwardRefusal[] };
}
