/**
 * One configured peer: its identity, where it is (endpoint), its handshake, keypairs, cookie
 * state, timers and the packets waiting for a handshake. The Core drives it; the fields the I/O
 * shell and status need are public and read-only by convention.
 */
import { CookieGenerator } from "./cookie.ts";
import type { Endpoint } from "./endpoint.ts";
import { KeypairSet } from "./keypair.ts";
import { Handshake, type StaticIdentity } from "./noise.ts";
import { StagedQueue } from "./staged_queue.ts";
import { PeerTimers, type ProtocolTimers } from "./timers.ts";

export class Peer {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly allowedIps: readonly string[];
  /** Persistent keepalive interval in seconds, 0 = off. */
  readonly persistentKeepalive: number;
  /** Where packets for this peer go; learned from authenticated packets (roaming). */
  endpoint: Endpoint | undefined;
  /** `now` of the last completed handshake, undefined before the first. */
  lastHandshakeMs: number | undefined;
  rxBytes = 0;
  txBytes = 0;
  rxPackets = 0;
  txPackets = 0;

  readonly handshake: Handshake;
  readonly keypairs = new KeypairSet<Peer>();
  readonly cookies: CookieGenerator;
  readonly timers: PeerTimers;
  readonly staged: StagedQueue;
  /** `now` of the last initiation sent, to send at most one per REKEY_TIMEOUT. */
  lastInitiationSent = -Infinity;
  /** Our index for the handshake in flight, 0 when none is registered. */
  handshakeIndex = 0;
  /** Set once the near-expiry rekey on receive was triggered for the current keypair. */
  sentLastMinuteHandshake = false;
  /** A persistent keepalive is due as soon as the core first ticks (brings the tunnel up). */
  startupKeepalivePending: boolean;

  constructor(
    options: {
      name: string;
      publicKey: Uint8Array;
      presharedKey: Uint8Array;
      endpoint: Endpoint | undefined;
      allowedIps: readonly string[];
      persistentKeepalive: number;
      stagedQueueSize: number;
    },
    local: StaticIdentity,
    timers: ProtocolTimers,
  ) {
    this.name = options.name;
    this.publicKey = options.publicKey;
    this.allowedIps = options.allowedIps;
    this.persistentKeepalive = options.persistentKeepalive;
    this.endpoint = options.endpoint?.clone();
    this.handshake = new Handshake(local, options.publicKey, options.presharedKey);
    this.cookies = new CookieGenerator(options.publicKey);
    this.timers = new PeerTimers(timers, options.persistentKeepalive * 1000);
    this.staged = new StagedQueue(options.stagedQueueSize);
    this.startupKeepalivePending = options.persistentKeepalive > 0;
  }

  /** Unanswered initiations of the current handshake attempt (status). */
  get handshakeAttempts(): number {
    return this.timers.handshakeAttempts;
  }
}
