/**
 * The send half of the transport (TX): an IP packet read from the tunnel is routed to its peer
 * by destination (allowed IPs), gets the next counter of the peer's current keypair, is padded,
 * headed and sealed in place, and goes to the peer's endpoint. Packets that find no usable
 * keypair wait in the peer's staged queue while the control plane handshakes.
 *
 * Pipeline per packet (no allocation, no throw on bad input; drops are counted):
 *   1. IP version and size check  2. route by destination  3. usable keypair and endpoint?
 *   else stage and ask for a handshake  4. pad, header into the headroom, seal in place
 *   5. to the network  6. rekey request when the keypair is old or worn.
 *
 * The keys, the send counters and the staged packets live here only; the control plane sends
 * keypairs by `setKeypair` and learns what was sent through PeerActivity.
 */
import type { TransportAead } from "../crypto/aead.ts";
import { AllowedIps } from "./allowed_ips.ts";
import {
  HANDSHAKE_REQUEST_INTERVAL,
  MAX_CONTENT_SIZE,
  PADDING_MULTIPLE,
  TRANSPORT_HEADER_SIZE,
} from "./constants.ts";
import type { Endpoint } from "./endpoint.ts";
import {
  IPV4_DST_OFFSET,
  IPV4_HEADER_MIN,
  IPV6_DST_OFFSET,
  IPV6_HEADER_SIZE,
  ipVersion,
} from "./inner_packet.ts";
import { KeyLimits } from "./key_limits.ts";
import type { PeerActivity } from "./peer_activity.ts";
import { StagedQueue } from "./staged_queue.ts";
import { newSenderStats, type SenderStats } from "./stats.ts";
import type { ProtocolTimers } from "./timers.ts";
import type { SenderControl, SenderEvents, SendKeyMaterial } from "./transport_links.ts";
import { writeTransportHeader } from "./wire.ts";

/** Bytes reserved before a packet for the transport header. */
export const SEND_HEADROOM = TRANSPORT_HEADER_SIZE;
/** Bytes reserved after a packet for padding and the tag. */
export const SEND_TAILROOM = PADDING_MULTIPLE - 1 + 16;

/** A keypair as the sender uses it: its own copy of the key and the send counter. */
class SendingKeypair {
  readonly localIndex: number;
  readonly remoteIndex: number;
  readonly key: Uint8Array;
  readonly created: number;
  readonly isInitiator: boolean;
  /** Next counter to send with. */
  counter = 0;

  constructor(m: SendKeyMaterial) {
    this.localIndex = m.localIndex;
    this.remoteIndex = m.remoteIndex;
    this.key = m.key;
    this.created = m.created;
    this.isInitiator = m.isInitiator;
  }
}

/** One peer as the sender sees it. */
export class SendPeer {
  readonly index: number;
  readonly activity: PeerActivity;
  readonly staged: StagedQueue;
  endpoint: Endpoint | undefined;
  keypair: SendingKeypair | undefined;
  lastHandshakeRequest = -Infinity;

  constructor(index: number, activity: PeerActivity, stagedQueueSize: number) {
    this.index = index;
    this.activity = activity;
    this.staged = new StagedQueue(stagedQueueSize);
  }
}

export interface SenderConfig {
  /** Every peer's allowed IPs (already validated), in configuration order. */
  peers: readonly { allowedIps: readonly string[] }[];
  /** One per peer, same order. */
  activity: readonly PeerActivity[];
  aead: TransportAead;
  timers: ProtocolTimers;
  /** Packets queued per peer while waiting for a handshake. */
  stagedQueueSize: number;
  /**
   * The tunnel MTU: padding never takes a packet past it, so a full-size packet stays within
   * the underlay MTU the tunnel MTU was chosen for (as WireGuard does). @default no limit
   */
  mtu?: number;
}

/** Where sealed datagrams go. `datagram` is borrowed: valid only during the call. */
export interface SenderSink {
  sendToNetwork(peer: number, to: Endpoint, datagram: Uint8Array): void;
  /**
   * Asked before a packet for `peer` of `length` bytes (plaintext) is sealed: false drops it
   * (counted) before it takes a counter. A bonded sender's scheduler refuses packets when
   * every path is full; refused after sealing, each would leave a gap the receiver's reorder
   * buffer waits for. Not asked for control frames sent to a chosen path.
   */
  admit?(peer: number, length: number): boolean;
}

export class TransportSender implements SenderControl {
  readonly stats: SenderStats = newSenderStats();
  readonly peers: readonly SendPeer[];
  readonly #routes = new AllowedIps<SendPeer>();
  readonly #aead: TransportAead;
  readonly #limits: KeyLimits;
  readonly #events: SenderEvents;
  readonly #sink: SenderSink;
  readonly #padLimit: number;
  /** Staged packets, keepalives and control frames are sealed here. */
  readonly #tx = new Uint8Array(SEND_HEADROOM + MAX_CONTENT_SIZE + SEND_TAILROOM);
  /** Each packet buffer from SEND_HEADROOM on (see #from). */
  readonly #views = new WeakMap<Uint8Array, Uint8Array>();

  constructor(config: SenderConfig, events: SenderEvents, sink: SenderSink) {
    if (config.activity.length !== config.peers.length) {
      throw new RangeError(
        `sender: ${config.peers.length} peers but ${config.activity.length} activity records`,
      );
    }
    this.#aead = config.aead;
    this.#limits = new KeyLimits(config.timers);
    this.#events = events;
    this.#sink = sink;
    this.#padLimit = Math.min(config.mtu ?? MAX_CONTENT_SIZE, MAX_CONTENT_SIZE);
    this.peers = config.peers.map((pc, i) => {
      const peer = new SendPeer(i, config.activity[i], config.stagedQueueSize);
      for (const cidr of pc.allowedIps) this.#routes.insert(cidr, peer);
      return peer;
    });
  }

  /**
   * An IP packet read from the TUN device at buf[offset, offset+length), with at least 16 bytes
   * of headroom before and 31 bytes of tailroom after it: the header is written and the packet
   * sealed in place, and `buf.subarray(offset - 16, ...)` goes to the network.
   */
  handleTunnelPacket(now: number, buf: Uint8Array, offset: number, length: number): void {
    const version = ipVersion(buf, offset, length);
    if (
      version === 0 || length > MAX_CONTENT_SIZE ||
      length < (version === 4 ? IPV4_HEADER_MIN : IPV6_HEADER_SIZE)
    ) {
      this.stats.tunnelDropBadPacket++;
      return;
    }
    const peer = version === 4
      ? this.#routes.lookup(4, buf, offset + IPV4_DST_OFFSET)
      : this.#routes.lookup(6, buf, offset + IPV6_DST_OFFSET);
    if (peer === undefined) {
      this.stats.tunnelDropNoPeer++;
      return;
    }
    this.#sendPacket(now, peer, buf, offset, length);
  }

  /**
   * Sends a bond control frame (first nibble not 4 or 6) to peer `index`, to `to` when given
   * (a chosen path) else to the peer's endpoint. Throws on misuse. Control frames are never
   * staged: a probe or hello that waits for a handshake is stale when it leaves, and a staged
   * one would leave by the default path. Returns false (counted) when no keypair is usable.
   */
  sendControl(now: number, index: number, payload: Uint8Array, to?: Endpoint): boolean {
    const peer = this.#peer(index, "sendControl");
    if (payload.length < 1 || payload.length > MAX_CONTENT_SIZE) {
      throw new RangeError(
        `sendControl: payload length must be 1-${MAX_CONTENT_SIZE}, got ${payload.length}`,
      );
    }
    if (ipVersion(payload, 0, payload.length) !== 0) {
      throw new RangeError(
        `sendControl: a control frame must not start with nibble 4 or 6, got ${payload[0] >> 4}`,
      );
    }
    const kp = this.#usable(now, peer);
    if (kp === undefined) {
      this.stats.controlDropNoKeypair++;
      return false;
    }
    this.#tx.set(payload, SEND_HEADROOM);
    this.#seal(now, peer, kp, this.#tx, SEND_HEADROOM, payload.length, to);
    this.#keepKeyFresh(now, peer, kp);
    return true;
  }

  // ---------------------------------------------------------------- SenderControl

  setKeypair(_now: number, index: number, keypair: SendKeyMaterial | undefined): void {
    const peer = this.#peer(index, "setKeypair");
    peer.keypair?.key.fill(0);
    peer.keypair = keypair && new SendingKeypair(keypair);
  }

  setEndpoint(_now: number, index: number, endpoint: Endpoint): void {
    const peer = this.#peer(index, "setEndpoint");
    if (peer.endpoint === undefined) peer.endpoint = endpoint.clone();
    else peer.endpoint.copyFrom(endpoint);
  }

  flush(now: number, index: number): void {
    const peer = this.#peer(index, "flush");
    if (peer.staged.size > 0) this.#flushStaged(now, peer);
  }

  sendKeepalive(now: number, index: number): void {
    const peer = this.#peer(index, "sendKeepalive");
    if (peer.staged.size > 0) this.#flushStaged(now, peer);
    else this.#sendPacket(now, peer, this.#tx, SEND_HEADROOM, 0);
  }

  dropStaged(_now: number, index: number): void {
    this.stats.tunnelDropStagedFlushed += this.#peer(index, "dropStaged").staged.clear();
  }

  /** Zeroes every key and drops every waiting packet (shutdown). */
  destroy(): void {
    for (const peer of this.peers) {
      peer.keypair?.key.fill(0);
      peer.keypair = undefined;
      peer.staged.clear();
    }
    this.#tx.fill(0);
  }

  // ---------------------------------------------------------------- internals

  /**
   * buf from `offset` on. Packets sit at SEND_HEADROOM in the data path's few long-lived
   * buffers, whose views are kept: a view per packet cost more than the rest of the call.
   */
  #from(buf: Uint8Array, offset: number): Uint8Array {
    if (offset !== SEND_HEADROOM) return buf.subarray(offset);
    let view = this.#views.get(buf);
    if (view === undefined) this.#views.set(buf, view = buf.subarray(offset));
    return view;
  }

  #peer(index: number, what: string): SendPeer {
    const peer = this.peers[index];
    if (peer === undefined) throw new RangeError(`${what}: no peer ${index}`);
    return peer;
  }

  #usable(now: number, peer: SendPeer): SendingKeypair | undefined {
    const kp = peer.keypair;
    return kp !== undefined && peer.endpoint !== undefined &&
        this.#limits.canSend(now, kp.created, kp.counter)
      ? kp
      : undefined;
  }

  #sendPacket(now: number, peer: SendPeer, buf: Uint8Array, offset: number, length: number): void {
    if (peer.staged.size === 0) {
      const kp = this.#usable(now, peer);
      if (kp !== undefined) {
        this.#seal(now, peer, kp, buf, offset, length);
        this.#keepKeyFresh(now, peer, kp);
        return;
      }
    }
    // Rare path: keep packet order by queueing behind what already waits.
    if (peer.staged.push(buf.subarray(offset, offset + length))) {
      this.stats.tunnelDropStagedOverflow++;
    }
    this.#flushStaged(now, peer);
  }

  /** Sends queued packets if a keypair is usable, else asks for a handshake. */
  #flushStaged(now: number, peer: SendPeer): void {
    let kp: SendingKeypair | undefined;
    while (peer.staged.size > 0) {
      kp = this.#usable(now, peer);
      if (kp === undefined) {
        this.#requestHandshake(now, peer);
        return;
      }
      const packet = peer.staged.shift()!;
      this.#tx.set(packet, SEND_HEADROOM);
      this.#seal(now, peer, kp, this.#tx, SEND_HEADROOM, packet.length);
    }
    if (kp !== undefined) this.#keepKeyFresh(now, peer, kp);
  }

  #seal(
    now: number,
    peer: SendPeer,
    kp: SendingKeypair,
    buf: Uint8Array,
    offset: number,
    length: number,
    to?: Endpoint,
  ): void {
    if (to === undefined && this.#sink.admit && !this.#sink.admit(peer.index, length)) {
      this.stats.tunnelDropNotAdmitted++;
      return;
    }
    const counter = kp.counter++;
    // Pad to a multiple of 16 (hides exact sizes); never past the MTU, nor the largest message.
    const padded = Math.max(
      length,
      Math.min((length + PADDING_MULTIPLE - 1) & ~(PADDING_MULTIPLE - 1), this.#padLimit),
    );
    // At most 15 bytes: a loop, since TypedArray fill is a call into V8's C++ runtime (≈ 55 ns
    // against ≈ 6, measured).
    for (let i = offset + length; i < offset + padded; i++) buf[i] = 0;
    writeTransportHeader(buf, offset - SEND_HEADROOM, kp.remoteIndex, counter);
    this.#aead.sealInPlace(kp.key, counter, this.#from(buf, offset), padded);
    const datagram = buf.subarray(offset - SEND_HEADROOM, offset + padded + 16);
    if (length > 0) this.stats.transportSent++;
    else this.stats.keepalivesSent++;
    peer.activity.transportSent(now, datagram.length, length > 0);
    this.#sink.sendToNetwork(peer.index, to ?? peer.endpoint!, datagram);
  }

  /** The initiator rekeys when its keys are old or worn (REKEY_AFTER_TIME/MESSAGES). */
  #keepKeyFresh(now: number, peer: SendPeer, kp: SendingKeypair): void {
    if (kp.isInitiator && this.#limits.shouldRekeyOnSend(now, kp.created, kp.counter)) {
      this.#requestHandshake(now, peer);
    }
  }

  #requestHandshake(now: number, peer: SendPeer): void {
    if (now - peer.lastHandshakeRequest < HANDSHAKE_REQUEST_INTERVAL) return;
    peer.lastHandshakeRequest = now;
    this.#events.handshakeNeeded(now, peer.index);
  }
}
