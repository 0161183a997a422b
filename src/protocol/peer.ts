/**
 * One configured peer as the control plane sees it: its identity, where it is (endpoint), its
 * handshake, keypairs, cookie state and timers. The Control drives it; the fields the I/O shell
 * and status need are public and read-only by convention. What the packet paths did for it
 * (times, bytes, packets) is in `activity`, shared with the sender and the receiver.
 */
import { CookieGenerator } from "./cookie.ts";
import type { Endpoint } from "./endpoint.ts";
import { KeypairSet } from "./keypair.ts";
import { Handshake, type StaticIdentity } from "./noise.ts";
import type { PeerActivity } from "./peer_activity.ts";
import { PeerTimers, type ProtocolTimers } from "./timers.ts";

export class Peer {
  /** Position in the configuration: how the sender and the receiver name this peer. */
  readonly index: number;
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly allowedIps: readonly string[];
  /** Persistent keepalive interval in seconds, 0 = off. */
  readonly persistentKeepalive: number;
  /** Where packets for this peer go; learned from authenticated packets (roaming). */
  endpoint: Endpoint | undefined;
  /** `now` of the last completed handshake, undefined before the first. */
  lastHandshakeMs: number | undefined;

  readonly activity: PeerActivity;
  readonly handshake: Handshake;
  readonly keypairs = new KeypairSet<Peer>();
  readonly cookies: CookieGenerator;
  readonly timers: PeerTimers;
  /** `now` of the last initiation sent, to send at most one per REKEY_TIMEOUT. */
  lastInitiationSent = -Infinity;
  /** Our index for the handshake in flight, 0 when none is registered. */
  handshakeIndex = 0;
  /** Set once the near-expiry rekey on receive was triggered for the current keypair. */
  sentLastMinuteHandshake = false;
  /** A persistent keepalive is due as soon as the control plane first ticks (brings the tunnel up). */
  startupKeepalivePending: boolean;

  constructor(
    options: {
      index: number;
      name: string;
      publicKey: Uint8Array;
      presharedKey: Uint8Array;
      endpoint: Endpoint | undefined;
      allowedIps: readonly string[];
      persistentKeepalive: number;
    },
    local: StaticIdentity,
    timers: ProtocolTimers,
    activity: PeerActivity,
  ) {
    this.index = options.index;
    this.name = options.name;
    this.publicKey = options.publicKey;
    this.allowedIps = options.allowedIps;
    this.persistentKeepalive = options.persistentKeepalive;
    this.endpoint = options.endpoint?.clone();
    this.activity = activity;
    this.handshake = new Handshake(local, options.publicKey, options.presharedKey);
    this.cookies = new CookieGenerator(options.publicKey);
    this.timers = new PeerTimers(timers, options.persistentKeepalive * 1000, activity);
    this.startupKeepalivePending = options.persistentKeepalive > 0;
  }

  /** Unanswered initiations of the current handshake attempt (status). */
  get handshakeAttempts(): number {
    return this.timers.handshakeAttempts;
  }

  /** Datagrams and bytes to and from this peer, handshakes included. */
  get txBytes(): number {
    return this.activity.txBytes;
  }
  get txPackets(): number {
    return this.activity.txPackets;
  }
  get rxBytes(): number {
    return this.activity.rxBytes;
  }
  get rxPackets(): number {
    return this.activity.rxPackets;
  }
}
