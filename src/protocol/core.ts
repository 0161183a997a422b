/**
 * The WireGuard protocol core in one thread, sans-IO: datagrams, tunnel packets and the time go
 * in; datagrams to send, packets for the tunnel and events come out through a sink. It never
 * reads a clock, never does I/O, and takes randomness only from the injected function.
 *
 * It is the three parts of the data path wired together by direct calls (see
 * transport_links.ts): the control plane (Control: handshakes, timers, keypair lifecycle), the
 * sender (TransportSender: route, seal) and the receiver (TransportReceiver: open, replay). The
 * data path runs the same three parts on three threads; this composition is what the protocol
 * tests drive, with cores wired to each other in memory (test_network.ts).
 */
import type { TransportAead } from "../crypto/aead.ts";
import { NobleAead } from "../crypto/noble_aead.ts";
import { resolveCoreSettings } from "./core_settings.ts";
import {
  Control,
  type ControlConfig,
  type CoreEvent,
  type PeerConfig,
  validatePeerConfig,
} from "./control.ts";
import type { Endpoint } from "./endpoint.ts";
import type { Peer } from "./peer.ts";
import { activityViews, createActivityBuffer } from "./peer_activity.ts";
import type { CoreStats } from "./stats.ts";
import type { ProtocolTimers } from "./timers.ts";
import { TransportReceiver } from "./transport_receiver.ts";
import { TransportSender } from "./transport_sender.ts";

export { TICK_INTERVAL_MS } from "./constants.ts";
export type { ProtocolTimers } from "./timers.ts";
export type { CoreStats } from "./stats.ts";
export type { CoreEvent, PeerConfig } from "./control.ts";
export { Peer } from "./peer.ts";

export interface CoreConfig {
  privateKey: Uint8Array;
  peers: PeerConfig[];
  /** Fills `buf` with CSPRNG bytes (the shell passes crypto.getRandomValues). */
  random(buf: Uint8Array): void;
  /** Wall clock = now + epochOffsetMs, for TAI64N timestamps. */
  epochOffsetMs: number;
  /** @default the @noble/ciphers backend */
  aead?: TransportAead;
  /** TEST-ONLY: shorten rekey/keepalive times and message limits. @default constants.ts */
  timers?: Partial<ProtocolTimers>;
  /** Replay window of every keypair. @default 8128 */
  replayWindow?: number;
  /** Handshake messages per second above which mac2 (cookies) and rate limits apply. @default 128 */
  underLoadThreshold?: number;
  /** Packets queued per peer while waiting for a handshake. @default 1024 */
  stagedQueueSize?: number;
}

/** Implemented by the I/O shell. Buffers passed in are borrowed: valid only during the call. */
export interface CoreSink {
  /**
   * A datagram for the network. `peer` is undefined only for cookie replies, which answer an
   * unauthenticated source under load and so belong to no peer.
   */
  sendToNetwork(peer: Peer | undefined, to: Endpoint, datagram: Uint8Array): void;
  /** A decrypted, checked IP packet for the TUN device. */
  writeToTunnel(peer: Peer, packet: Uint8Array): void;
  /**
   * A decrypted payload whose first nibble is not 4 or 6 (a bond control frame). It still
   * carries the sender's zero padding up to a multiple of 16: frames must encode their length.
   */
  control?(peer: Peer, payload: Uint8Array, from: Endpoint): void;
  /** Rare, for logs and status; may allocate. */
  event?(event: CoreEvent): void;
}

export class Core {
  readonly control: Control;
  readonly sender: TransportSender;
  readonly receiver: TransportReceiver;

  constructor(config: CoreConfig, sink: CoreSink) {
    // Before any part uses them: errors must name the configuration key.
    config.peers.forEach(validatePeerConfig);
    const settings = resolveCoreSettings(config);
    const aead = config.aead ?? new NobleAead();
    const activity = activityViews(
      createActivityBuffer(config.peers.length, false),
      config.peers.length,
    );
    const peerOf = (index: number): Peer => this.control.peers[index];
    // Late-bound: the control plane is created last because it needs the other two.
    const toControl = () => this.control;
    this.sender = new TransportSender(
      {
        peers: config.peers,
        activity,
        aead,
        timers: settings.timers,
        stagedQueueSize: settings.staged,
      },
      { handshakeNeeded: (now, p) => toControl().handshakeNeeded(now, p) },
      { sendToNetwork: (p, to, d) => sink.sendToNetwork(peerOf(p), to, d) },
    );
    this.receiver = new TransportReceiver(
      {
        peers: config.peers,
        activity,
        aead,
        timers: settings.timers,
        replayWindow: settings.replayWindow,
      },
      {
        handshakeMessage: (now, d, from) => toControl().handshakeMessage(now, d, from),
        keypairConfirmed: (now, p, i) => toControl().keypairConfirmed(now, p, i),
        endpointChanged: (now, p, from) => toControl().endpointChanged(now, p, from),
        nearExpiry: (now, p) => toControl().nearExpiry(now, p),
      },
      {
        writeToTunnel: (p, buf, length) => sink.writeToTunnel(peerOf(p), buf.subarray(0, length)),
        control: sink.control &&
          ((p, payload, from) => sink.control!(peerOf(p), payload, from)),
      },
    );
    const controlConfig: ControlConfig = {
      privateKey: config.privateKey,
      peers: config.peers,
      random: config.random,
      epochOffsetMs: config.epochOffsetMs,
      timers: settings.timers,
      underLoadThreshold: settings.underLoadThreshold,
      activity,
    };
    this.control = new Control(controlConfig, sink, this.sender, this.receiver);
  }

  get peers(): readonly Peer[] {
    return this.control.peers;
  }

  /** Every counter of the three parts. A fresh snapshot on each read. */
  get stats(): CoreStats {
    return { ...this.control.stats, ...this.sender.stats, ...this.receiver.stats };
  }

  peerByPublicKey(key: Uint8Array): Peer | undefined {
    return this.control.peerByPublicKey(key);
  }

  /** Any datagram from the network. Never throws on bad input: drops are counted in `stats`. */
  handleDatagram(now: number, datagram: Uint8Array, from: Endpoint): void {
    this.receiver.handleDatagram(now, datagram, from);
  }

  /**
   * An IP packet read from the TUN device at buf[offset, offset+length), with at least 16 bytes
   * of headroom before and 31 bytes of tailroom after it: the header is written and the packet
   * sealed in place, and `buf.subarray(offset - 16, ...)` goes to the network.
   */
  handleTunnelPacket(now: number, buf: Uint8Array, offset: number, length: number): void {
    this.sender.handleTunnelPacket(now, buf, offset, length);
  }

  /**
   * Sends a bond control frame (first nibble not 4 or 6) to `peer` (to `to` when given).
   * Throws on misuse; false when no keypair is usable (control frames are never staged).
   */
  sendControl(now: number, peer: Peer, payload: Uint8Array, to?: Endpoint): boolean {
    if (this.control.peers[peer.index] !== peer) {
      throw new RangeError(`sendControl: unknown peer ${peer.name}`);
    }
    return this.sender.sendControl(now, peer.index, payload, to);
  }

  /** Runs every due timer. Call at least every TICK_INTERVAL_MS and when nextDeadline() passes. */
  tick(now: number): void {
    this.control.tick(now);
  }

  /** When tick() must run next; a value at or below `now` means immediately. */
  nextDeadline(): number {
    return this.control.nextDeadline();
  }

  /** Zeroes all key material (shutdown). The core must not be used afterwards. */
  destroy(): void {
    this.control.destroy();
    this.sender.destroy();
    this.receiver.destroy();
  }
}
