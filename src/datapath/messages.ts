import type { ProtocolTimers } from "../protocol/timers.ts";

/**
 * Messages between the main thread (control plane) and the tunnel worker (data path).
 * Structured-clone friendly: keys as Uint8Array, endpoints as text.
 */

export interface WorkerPeer {
  name: string;
  publicKey: Uint8Array;
  presharedKey?: Uint8Array;
  /** "192.0.2.1:65535" or "[2001:db8::1]:65535", resolved by the main thread. */
  endpoint?: string;
  allowedIps: string[];
  persistentKeepalive: number;
}

export interface WorkerSocket {
  fd: number;
  family: 4 | 6;
}

export interface StartMessage {
  type: "start";
  tunFd: number;
  sockets: WorkerSocket[];
  /** eventfd the main thread writes to after posting a message, waking the worker's poll. */
  wakeFd: number;
  mtu: number;
  privateKey: Uint8Array;
  peers: WorkerPeer[];
  aead: "auto" | "openssl" | "libsodium" | "noble";
  epochOffsetMs: number;
  /** Test-only override of protocol timers (milliseconds), from BOND_TEST_PROTOCOL_TIMERS. */
  timers?: Partial<ProtocolTimers>;
  logLevel: "error" | "warn" | "info" | "debug";
}

export type MainToWorker =
  | StartMessage
  | { type: "stop" }
  | { type: "status"; id: number };

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
}

export interface TunnelStatus {
  aead: string;
  peers: PeerStatus[];
  /** Protocol and data-path counters, drop reasons included. */
  counters: Record<string, number>;
}

export type WorkerToMain =
  | { type: "ready"; aead: string }
  | {
    type: "log";
    level: "error" | "warn" | "info" | "debug";
    message: string;
    fields?: Record<string, string | number>;
  }
  | { type: "status"; id: number; status: TunnelStatus }
  | { type: "stopped" }
  | { type: "fatal"; message: string };
