/**
 * The receive half of the transport (RX): every datagram from the network comes here first.
 * Transport messages are opened and checked here; handshake messages (types 1-3) of the right
 * size are handed to the control plane.
 *
 * Pipeline per transport message (no allocation, no throw on bad input; drops are counted):
 *   1. type and size  2. receiver index → keypair  3. counter range, keypair age  4. decrypt
 *   5. replay window (only after authentication: forged counters must not move it)
 *   6. roaming, handshake confirmation, near-expiry report (rare, to the control plane)
 *   7. inner packet checks, allowed-IPs source check  8. to the tunnel.
 *
 * The receive keys and replay windows live here only; the control plane adds and removes
 * keypairs and learns what arrived through PeerActivity and the ReceiverEvents.
 */
import type { TransportAead } from "../crypto/aead.ts";
import { AllowedIps } from "./allowed_ips.ts";
import {
  COOKIE_REPLY_SIZE,
  INITIATION_SIZE,
  MAX_MESSAGE_SIZE,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  MESSAGE_TRANSPORT,
  RESPONSE_SIZE,
  TRANSPORT_COUNTER_OFFSET,
  TRANSPORT_HEADER_SIZE,
  TRANSPORT_MIN_SIZE,
  TRANSPORT_RECEIVER_OFFSET,
} from "./constants.ts";
import type { Endpoint } from "./endpoint.ts";
import { ipPacketLength, IPV4_SRC_OFFSET, IPV6_SRC_OFFSET, ipVersion } from "./inner_packet.ts";
import { KeyLimits } from "./key_limits.ts";
import type { PeerActivity } from "./peer_activity.ts";
import { ReplayFilter } from "./replay.ts";
import { newReceiverStats, type ReceiverStats } from "./stats.ts";
import type { ProtocolTimers } from "./timers.ts";
import type { ReceiveKeyMaterial, ReceiverControl, ReceiverEvents } from "./transport_links.ts";
import { messageType, readCounter, readU32LE } from "./wire.ts";

/** One peer as the receiver sees it. */
export class ReceivePeer {
  readonly index: number;
  readonly activity: PeerActivity;
  /** Where the latest authenticated packet came from (to notice roaming). */
  endpoint: Endpoint | undefined;

  constructor(index: number, activity: PeerActivity) {
    this.index = index;
    this.activity = activity;
  }
}

/** A keypair as the receiver uses it: its own copy of the key and the replay window. */
class ReceivingKeypair {
  readonly peer: ReceivePeer;
  readonly localIndex: number;
  readonly key: Uint8Array;
  readonly created: number;
  readonly replay: ReplayFilter;
  confirmed: boolean;
  nearExpiryReported = false;

  constructor(peer: ReceivePeer, m: ReceiveKeyMaterial, window: number, rejectLimit: number) {
    this.peer = peer;
    this.localIndex = m.localIndex;
    this.key = m.key;
    this.created = m.created;
    this.confirmed = m.confirmed;
    this.replay = new ReplayFilter(window, rejectLimit);
  }
}

export interface ReceiverConfig {
  /** Every peer's allowed IPs (already validated), in configuration order. */
  peers: readonly { allowedIps: readonly string[] }[];
  /** One per peer, same order. */
  activity: readonly PeerActivity[];
  aead: TransportAead;
  timers: ProtocolTimers;
  /** Replay window of every keypair. */
  replayWindow: number;
}

/** Where opened packets go. Buffers are borrowed: valid only during the call. */
export interface ReceiverSink {
  /**
   * A decrypted, checked IP packet for the TUN device: buf[0, length) (the receiver's whole
   * plaintext buffer, so that no view is made per packet).
   */
  writeToTunnel(peer: number, buf: Uint8Array, length: number): void;
  /**
   * A decrypted payload whose first nibble is not 4 or 6 (a bond control frame). It still
   * carries the sender's zero padding up to a multiple of 16: frames must encode their length.
   */
  control?(peer: number, payload: Uint8Array, from: Endpoint): void;
  /**
   * Every authenticated transport packet, right after the replay filter and before anything
   * else (bonding counts it per path and puts its counter in order). `created` tells the
   * keypairs apart (counters restart with each). `duplicate`: the replay filter rejected it
   * (dropped after this call), still news for bonding: in redundant mode the copies on the
   * slower paths show those paths alive and past that counter. Returns true when `from` is a
   * known path of the peer: then the packet does not move the peer's endpoint (a bonded peer
   * sends from several addresses at once; roaming between them would make the endpoint flap).
   */
  transport?(
    peer: number,
    counter: number,
    datagramBytes: number,
    created: number,
    duplicate: boolean,
  ): boolean;
}

export class TransportReceiver implements ReceiverControl {
  readonly stats: ReceiverStats = newReceiverStats();
  readonly peers: readonly ReceivePeer[];
  readonly #keypairs = new Map<number, ReceivingKeypair>();
  readonly #routes = new AllowedIps<ReceivePeer>();
  readonly #aead: TransportAead;
  readonly #limits: KeyLimits;
  readonly #replayWindow: number;
  readonly #events: ReceiverEvents;
  readonly #sink: ReceiverSink;
  /** Decrypted payloads land here (the received datagram is borrowed, not ours to write). */
  readonly #plain = new Uint8Array(MAX_MESSAGE_SIZE);

  constructor(config: ReceiverConfig, events: ReceiverEvents, sink: ReceiverSink) {
    if (config.activity.length !== config.peers.length) {
      throw new RangeError(
        `receiver: ${config.peers.length} peers but ${config.activity.length} activity records`,
      );
    }
    this.#aead = config.aead;
    this.#limits = new KeyLimits(config.timers);
    this.#replayWindow = config.replayWindow;
    this.#events = events;
    this.#sink = sink;
    this.peers = config.peers.map((pc, i) => {
      const peer = new ReceivePeer(i, config.activity[i]);
      for (const cidr of pc.allowedIps) this.#routes.insert(cidr, peer);
      return peer;
    });
  }

  /** Any datagram from the network. Never throws on bad input: drops are counted in `stats`. */
  handleDatagram(now: number, datagram: Uint8Array, from: Endpoint): void {
    const len = datagram.length;
    if (len < 4) {
      this.stats.dropTooShort++;
      return;
    }
    if (len > MAX_MESSAGE_SIZE) {
      this.stats.dropOversized++;
      return;
    }
    switch (messageType(datagram)) {
      case MESSAGE_TRANSPORT:
        if (len < TRANSPORT_MIN_SIZE) this.stats.dropBadSize++;
        else this.#receiveTransport(now, datagram, from);
        return;
      case MESSAGE_INITIATION:
        if (len !== INITIATION_SIZE) this.stats.dropBadSize++;
        else this.#events.handshakeMessage(now, datagram, from);
        return;
      case MESSAGE_RESPONSE:
        if (len !== RESPONSE_SIZE) this.stats.dropBadSize++;
        else this.#events.handshakeMessage(now, datagram, from);
        return;
      case MESSAGE_COOKIE_REPLY:
        if (len !== COOKIE_REPLY_SIZE) this.stats.dropBadSize++;
        else this.#events.handshakeMessage(now, datagram, from);
        return;
      default:
        this.stats.dropUnknownType++;
    }
  }

  // ---------------------------------------------------------------- ReceiverControl

  addKeypair(_now: number, index: number, keypair: ReceiveKeyMaterial): void {
    const peer = this.peers[index];
    if (peer === undefined) throw new RangeError(`addKeypair: no peer ${index}`);
    this.#keypairs.get(keypair.localIndex)?.key.fill(0);
    this.#keypairs.set(
      keypair.localIndex,
      new ReceivingKeypair(peer, keypair, this.#replayWindow, this.#limits.rejectAfterMessages),
    );
  }

  removeKeypair(_now: number, localIndex: number): void {
    const kp = this.#keypairs.get(localIndex);
    if (kp === undefined) return;
    kp.key.fill(0);
    this.#keypairs.delete(localIndex);
  }

  setEndpoint(_now: number, index: number, endpoint: Endpoint): void {
    const peer = this.peers[index];
    if (peer === undefined) throw new RangeError(`setEndpoint: no peer ${index}`);
    if (peer.endpoint === undefined) peer.endpoint = endpoint.clone();
    else peer.endpoint.copyFrom(endpoint);
  }

  /** How many keypairs are held (status and tests). */
  get keypairCount(): number {
    return this.#keypairs.size;
  }

  /** Zeroes every key (shutdown). */
  destroy(): void {
    for (const kp of this.#keypairs.values()) kp.key.fill(0);
    this.#keypairs.clear();
    this.#plain.fill(0);
  }

  // ---------------------------------------------------------------- transport

  #receiveTransport(now: number, d: Uint8Array, from: Endpoint): void {
    const kp = this.#keypairs.get(readU32LE(d, TRANSPORT_RECEIVER_OFFSET));
    if (kp === undefined) {
      this.stats.dropUnknownReceiver++;
      return;
    }
    const counter = readCounter(d, TRANSPORT_COUNTER_OFFSET);
    if (counter < 0) {
      this.stats.dropCounterTooLarge++;
      return;
    }
    if (!this.#limits.canReceive(now, kp.created)) {
      this.stats.dropExpiredKeypair++;
      return;
    }
    const n = d.length - TRANSPORT_MIN_SIZE;
    const plain = this.#plain;
    // The whole plaintext buffer: open writes its first n bytes, and a view would cost more.
    if (!this.#aead.open(kp.key, counter, d.subarray(TRANSPORT_HEADER_SIZE), plain)) {
      this.stats.dropBadAuth++;
      return;
    }
    if (!kp.replay.accept(counter)) {
      this.stats.dropReplay++;
      this.#sink.transport?.(kp.peer.index, counter, d.length, kp.created, true);
      return;
    }
    this.stats.transportReceived++;
    const peer = kp.peer;
    const version = n === 0 ? -1 : ipVersion(plain, 0, n);
    const knownPath = this.#sink.transport?.(peer.index, counter, d.length, kp.created, false) ??
      false;
    // A control frame names its own path (link hellos, probes on every link): it must not move
    // the peer's endpoint, or each hello on another link would pull the data path after it.
    if (version !== 0 && !knownPath) this.#noticeEndpoint(now, peer, from);
    if (!kp.confirmed) {
      kp.confirmed = true;
      this.#events.keypairConfirmed(now, peer.index, kp.localIndex);
    }
    if (!kp.nearExpiryReported && this.#limits.shouldRekeyOnReceive(now, kp.created)) {
      kp.nearExpiryReported = true;
      this.#events.nearExpiry(now, peer.index);
    }
    peer.activity.transportReceived(now, d.length, n > 0);
    if (n === 0) {
      this.stats.keepalivesReceived++;
      return;
    }
    if (version === 0) {
      if (this.#sink.control) {
        this.stats.controlReceived++;
        this.#sink.control(peer.index, plain.subarray(0, n), from);
      } else {
        this.stats.dropNoControlHandler++;
      }
      return;
    }
    const length = ipPacketLength(plain, 0, n);
    if (length < 0) {
      this.stats.dropBadInnerPacket++;
      return;
    }
    const owner = version === 4
      ? this.#routes.lookup(4, plain, IPV4_SRC_OFFSET)
      : this.#routes.lookup(6, plain, IPV6_SRC_OFFSET);
    if (owner !== peer) {
      this.stats.dropDisallowedSource++;
      return;
    }
    this.#sink.writeToTunnel(peer.index, plain, length);
  }

  /** Roaming: authenticated packets from a new source move the peer's endpoint there. */
  #noticeEndpoint(now: number, peer: ReceivePeer, from: Endpoint): void {
    const ep = peer.endpoint;
    if (ep !== undefined && ep.equals(from)) return;
    if (ep === undefined) peer.endpoint = from.clone();
    else ep.copyFrom(from);
    this.#events.endpointChanged(now, peer.index, from);
  }
}
