/**
 * The control plane of the protocol core, sans-IO: handshakes (Noise_IKpsk2), cookies and the
 * rate limiter under load, the protocol timers, and the lifecycle of every keypair (install,
 * confirm, rotate, expire, zero). It seals and opens no transport packet: the sender and the
 * receiver do, with copies of the keys handed to them through SenderControl / ReceiverControl.
 *
 * Inputs: handshake messages and reports from the receiver (ReceiverEvents), handshake requests
 * from the sender (SenderEvents), and `tick(now)` for the timers, which read the packet paths'
 * activity from each peer's PeerActivity. Outputs: handshake datagrams and events through the
 * ControlSink, keypairs and commands to the sender and the receiver.
 */
import { parsePrefix } from "./allowed_ips.ts";
import {
  COOKIE_REPLY_RECEIVER_OFFSET,
  COOKIE_REPLY_SIZE,
  INITIATION_SIZE,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  RESPONSE_SIZE,
  UNDER_LOAD_AFTER_TIME,
} from "./constants.ts";
import { CookieChecker } from "./cookie.ts";
import type { Endpoint } from "./endpoint.ts";
import { IndexTable } from "./index_table.ts";
import { KeyLimits } from "./key_limits.ts";
import { Keypair } from "./keypair.ts";
import { encodeKey, KEY_LENGTH, publicKey as derivePublicKey } from "./keys.ts";
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  deriveSessionKeys,
  senderIndex,
  type SessionKeys,
  type StaticIdentity,
} from "./noise.ts";
import { Peer } from "./peer.ts";
import type { PeerActivity } from "./peer_activity.ts";
import { RateLimiter } from "./ratelimiter.ts";
import { type ControlStats, newControlStats } from "./stats.ts";
import {
  type ProtocolTimers,
  TIMER_NEW_HANDSHAKE,
  TIMER_PERSISTENT_KEEPALIVE,
  TIMER_RETRANSMIT_HANDSHAKE,
  TIMER_SEND_KEEPALIVE,
  TIMER_ZERO_KEY_MATERIAL,
} from "./timers.ts";
import type {
  ReceiverControl,
  ReceiverEvents,
  SenderControl,
  SenderEvents,
} from "./transport_links.ts";
import { readU32LE } from "./wire.ts";

export interface PeerConfig {
  name: string;
  /** 32 bytes. */
  publicKey: Uint8Array;
  /** 32 bytes. @default all zero (no preshared key) */
  presharedKey?: Uint8Array;
  /** Known endpoint (router side); the VPS learns it from authenticated packets. */
  endpoint?: Endpoint;
  /** CIDRs: "10.0.0.0/24", "::/0". */
  allowedIps: string[];
  /** Seconds; 0 or undefined = off. */
  persistentKeepalive?: number;
}

export interface ControlConfig {
  privateKey: Uint8Array;
  peers: PeerConfig[];
  /** Fills `buf` with CSPRNG bytes (the shell passes crypto.getRandomValues). */
  random(buf: Uint8Array): void;
  /** Wall clock = now + epochOffsetMs, for TAI64N timestamps. */
  epochOffsetMs: number;
  /** Resolved protocol timers (see resolveTimers). */
  timers: ProtocolTimers;
  /** Handshake messages per second above which mac2 (cookies) and rate limits apply. */
  underLoadThreshold: number;
  /** One per peer, same order as `peers`. */
  activity: readonly PeerActivity[];
}

export type CoreEvent =
  | { type: "handshake-sent"; peer: Peer; retry: boolean }
  | { type: "handshake-complete"; peer: Peer; initiator: boolean }
  | { type: "handshake-gave-up"; peer: Peer }
  | { type: "keys-expired"; peer: Peer }
  | { type: "endpoint-changed"; peer: Peer; endpoint: Endpoint }
  | { type: "cookie-received"; peer: Peer };

/** Implemented by the I/O shell. Buffers passed in are borrowed: valid only during the call. */
export interface ControlSink {
  /**
   * A handshake datagram for the network. `peer` is undefined only for cookie replies, which
   * answer an unauthenticated source under load and so belong to no peer.
   */
  sendToNetwork(peer: Peer | undefined, to: Endpoint, datagram: Uint8Array): void;
  /** Rare, for logs and status; may allocate. */
  event?(event: CoreEvent): void;
}

function keyId(key: Uint8Array): string | undefined {
  return key.length === KEY_LENGTH ? encodeKey(key) : undefined;
}

/** Checks one peer's configuration; throws a RangeError naming the key. */
export function validatePeerConfig(pc: PeerConfig, i: number): void {
  const where = `peers[${i}] (${pc.name})`;
  if (!(pc.publicKey instanceof Uint8Array) || pc.publicKey.length !== KEY_LENGTH) {
    throw new RangeError(`${where}.publicKey must be 32 bytes`);
  }
  const psk = pc.presharedKey;
  if (psk !== undefined && psk.length !== 32) {
    throw new RangeError(`${where}.presharedKey must be 32 bytes, got ${psk.length}`);
  }
  const keepalive = pc.persistentKeepalive ?? 0;
  if (!Number.isInteger(keepalive) || keepalive < 0 || keepalive > 65535) {
    throw new RangeError(`${where}.persistentKeepalive must be 0-65535 seconds, got ${keepalive}`);
  }
  for (const cidr of pc.allowedIps) {
    try {
      parsePrefix(cidr);
    } catch (e) {
      throw new RangeError(`${where}.allowedIps: ${(e as Error).message}`);
    }
  }
}

export class Control implements SenderEvents, ReceiverEvents {
  readonly peers: readonly Peer[];
  readonly stats: ControlStats = newControlStats();

  readonly #sink: ControlSink;
  readonly #sender: SenderControl;
  readonly #receiver: ReceiverControl;
  readonly #local: StaticIdentity;
  readonly #random: (buf: Uint8Array) => void;
  readonly #epochOffsetMs: number;
  readonly #timers: ProtocolTimers;
  readonly #limits: KeyLimits;
  readonly #underLoadThreshold: number;
  readonly #byKey = new Map<string, Peer>();
  readonly #index: IndexTable<Peer, Keypair<Peer>>;
  readonly #checker: CookieChecker;
  readonly #limiter = new RateLimiter();
  readonly #jitter = new Uint8Array(2);
  /** The keypair each peer's sender holds, to tell it only about changes. */
  readonly #senderKeypair = new Map<Peer, Keypair<Peer> | undefined>();
  #loadWindowStart = -Infinity;
  #loadCount = 0;
  #underLoadUntil = -Infinity;
  /** Drops a keypair: out of the index and the receiver, keys wiped. Bound once. */
  readonly #retire = (kp: Keypair<Peer>): void => {
    this.#index.deleteKeypair(kp.localIndex, kp);
    this.#receiver.removeKeypair(-Infinity, kp.localIndex);
    kp.destroy();
  };

  constructor(
    config: ControlConfig,
    sink: ControlSink,
    sender: SenderControl,
    receiver: ReceiverControl,
  ) {
    if (!(config.privateKey instanceof Uint8Array) || config.privateKey.length !== KEY_LENGTH) {
      throw new RangeError(`privateKey must be 32 bytes, got ${config.privateKey?.length}`);
    }
    if (typeof config.random !== "function") throw new TypeError("random must be a function");
    if (!Number.isFinite(config.epochOffsetMs)) {
      throw new RangeError(`epochOffsetMs must be a finite number, got ${config.epochOffsetMs}`);
    }
    if (!(config.underLoadThreshold >= 0)) {
      throw new RangeError(`underLoadThreshold must be >= 0, got ${config.underLoadThreshold}`);
    }
    if (config.activity.length !== config.peers.length) {
      throw new RangeError(
        `control: ${config.peers.length} peers but ${config.activity.length} activity records`,
      );
    }
    const privateKey = config.privateKey.slice();
    this.#local = { privateKey, publicKey: derivePublicKey(privateKey) };
    this.#sink = sink;
    this.#sender = sender;
    this.#receiver = receiver;
    this.#random = config.random;
    this.#epochOffsetMs = config.epochOffsetMs;
    this.#timers = config.timers;
    this.#limits = new KeyLimits(config.timers);
    this.#underLoadThreshold = config.underLoadThreshold;
    this.#index = new IndexTable(config.random);
    this.#checker = new CookieChecker(this.#local.publicKey, config.random);

    const peers: Peer[] = [];
    config.peers.forEach((pc, i) => peers.push(this.#makePeer(pc, i, config.activity[i])));
    this.peers = peers;
    for (const peer of peers) {
      if (peer.endpoint) this.#tellEndpoint(-Infinity, peer);
    }
  }

  #makePeer(pc: PeerConfig, i: number, activity: PeerActivity): Peer {
    validatePeerConfig(pc, i);
    const where = `peers[${i}] (${pc.name})`;
    const id = keyId(pc.publicKey)!;
    if (this.#byKey.has(id)) throw new RangeError(`${where}.publicKey duplicates another peer's`);
    if (id === keyId(this.#local.publicKey)) {
      throw new RangeError(`${where}.publicKey is this node's own public key`);
    }
    const peer = new Peer(
      {
        index: i,
        name: pc.name,
        publicKey: pc.publicKey.slice(),
        presharedKey: (pc.presharedKey ?? new Uint8Array(32)).slice(),
        endpoint: pc.endpoint,
        allowedIps: [...pc.allowedIps],
        persistentKeepalive: pc.persistentKeepalive ?? 0,
      },
      this.#local,
      this.#timers,
      activity,
    );
    if (!peer.handshake.staticStatic) {
      throw new RangeError(`${where}.publicKey is a low-order point (not a usable key)`);
    }
    this.#byKey.set(id, peer);
    return peer;
  }

  peerByPublicKey(key: Uint8Array): Peer | undefined {
    const id = keyId(key);
    return id === undefined ? undefined : this.#byKey.get(id);
  }

  // ---------------------------------------------------------------- from the receiver

  /** A handshake message (type 1-3) from the network. Never throws on bad input. */
  handshakeMessage(now: number, msg: Uint8Array, from: Endpoint): void {
    const size = msg[0] === MESSAGE_INITIATION
      ? INITIATION_SIZE
      : msg[0] === MESSAGE_RESPONSE
      ? RESPONSE_SIZE
      : msg[0] === MESSAGE_COOKIE_REPLY
      ? COOKIE_REPLY_SIZE
      : -1;
    if (msg.length !== size) {
      this.stats.dropBadHandshakeSize++;
      return;
    }
    if (msg[0] === MESSAGE_COOKIE_REPLY) this.#receiveCookieReply(now, msg);
    else this.#receiveHandshake(now, msg, from);
  }

  keypairConfirmed(now: number, index: number, localIndex: number): void {
    const peer = this.peers[index];
    const kp = this.#index.keypairs.get(localIndex);
    if (peer === undefined || kp === undefined || kp.owner !== peer) return;
    if (!peer.keypairs.receivedWith(kp, this.#retire)) return;
    this.#publishSendKeypair(now, peer);
    this.#handshakeComplete(now, peer, false);
    this.#sender.flush(now, peer.index);
  }

  endpointChanged(now: number, index: number, from: Endpoint): void {
    const peer = this.peers[index];
    if (peer !== undefined) this.#setEndpoint(now, peer, from);
  }

  /** Rekey on receive shortly before the keys expire, in case we have nothing to send. */
  nearExpiry(now: number, index: number): void {
    const peer = this.peers[index];
    if (peer === undefined || peer.sentLastMinuteHandshake) return;
    const kp = peer.keypairs.current;
    if (kp !== undefined && kp.isInitiator && this.#limits.shouldRekeyOnReceive(now, kp.created)) {
      peer.sentLastMinuteHandshake = true;
      this.#sendInitiation(now, peer, false);
    }
  }

  // ---------------------------------------------------------------- from the sender

  handshakeNeeded(now: number, index: number): void {
    const peer = this.peers[index];
    if (peer !== undefined) this.#sendInitiation(now, peer, false);
  }

  // ---------------------------------------------------------------- handshakes

  /** Counts handshake messages per second; true while the rate is (recently) above threshold. */
  #underLoad(now: number): boolean {
    if (now - this.#loadWindowStart >= 1000) {
      this.#loadWindowStart = now;
      this.#loadCount = 0;
    }
    this.#loadCount++;
    if (this.#loadCount > this.#underLoadThreshold) {
      this.#underLoadUntil = now + UNDER_LOAD_AFTER_TIME;
    }
    return now < this.#underLoadUntil;
  }

  #receiveHandshake(now: number, msg: Uint8Array, from: Endpoint): void {
    const underLoad = this.#underLoad(now);
    if (!this.#checker.checkMac1(msg)) {
      this.stats.dropBadMac1++;
      return;
    }
    if (underLoad) {
      if (!this.#checker.checkMac2(now, msg, from)) {
        const reply = this.#checker.createReply(now, msg, senderIndex(msg), from);
        this.stats.dropCookieRequired++;
        this.stats.cookieRepliesSent++;
        this.#sink.sendToNetwork(undefined, from, reply);
        return;
      }
      if (!this.#limiter.allow(now, from)) {
        this.stats.dropRateLimited++;
        return;
      }
    }
    if (msg[0] === MESSAGE_INITIATION) this.#receiveInitiation(now, msg, from);
    else this.#receiveResponse(now, msg, from);
  }

  #receiveInitiation(now: number, msg: Uint8Array, from: Endpoint): void {
    const peer = consumeInitiation(this.#local, msg, now, (key) => this.peerByPublicKey(key));
    if (!peer) {
      this.stats.dropBadInitiation++;
      return;
    }
    this.stats.initiationsReceived++;
    peer.activity.handshakeReceived(now, msg.length);
    // Our own initiation to this peer, if any, is superseded: the peer's wins.
    this.#releaseHandshakeIndex(peer);
    this.#setEndpoint(now, peer, from);

    const index = this.#index.allocateHandshake(peer);
    peer.handshakeIndex = index;
    const response = createResponse(peer.handshake, index, this.#random);
    const keys = response && deriveSessionKeys(peer.handshake);
    if (!response || !keys) {
      this.#releaseHandshakeIndex(peer);
      this.stats.dropBadInitiation++;
      return;
    }
    this.#installKeypair(now, peer, keys);
    peer.cookies.addMacs(now, response);
    this.stats.responsesSent++;
    this.#sendHandshakeMessage(now, peer, response);
  }

  #receiveResponse(now: number, msg: Uint8Array, from: Endpoint): void {
    const peer = consumeResponse(this.#local, msg, (index) => this.#index.handshakes.get(index));
    const keys = peer && deriveSessionKeys(peer.handshake);
    if (!peer || !keys) {
      this.stats.dropBadResponse++;
      return;
    }
    this.stats.responsesReceived++;
    peer.activity.handshakeReceived(now, msg.length);
    this.#setEndpoint(now, peer, from);
    this.#installKeypair(now, peer, keys);
    this.#handshakeComplete(now, peer, true);
    // The responder switches to the new keys only when a packet arrives under them: send one
    // now (queued data if any, else a keepalive) instead of waiting for the next packet.
    this.#sender.sendKeepalive(now, peer.index);
  }

  #receiveCookieReply(now: number, msg: Uint8Array): void {
    const index = readU32LE(msg, COOKIE_REPLY_RECEIVER_OFFSET);
    // A reply may answer our initiation (index still a handshake) or our response (index
    // already moved to the new keypair).
    const peer = this.#index.handshakes.get(index) ?? this.#index.keypairs.get(index)?.owner;
    if (!peer || !peer.cookies.consumeReply(now, msg)) {
      this.stats.dropBadCookieReply++;
      return;
    }
    this.stats.cookieRepliesReceived++;
    this.#sink.event?.({ type: "cookie-received", peer });
  }

  /**
   * Sends an initiation unless one went out less than REKEY_TIMEOUT ago. `isRetry` marks
   * timer-driven retransmissions; any other call restarts the attempt count.
   */
  #sendInitiation(now: number, peer: Peer, isRetry: boolean): void {
    if (!isRetry) peer.timers.handshakeAttempts = 0;
    if (now - peer.lastInitiationSent < this.#timers.rekeyTimeout) return;
    if (peer.endpoint === undefined) {
      // Nowhere to send it: the peer must reach us first (the VPS side of a router peer).
      this.stats.initiationsNoEndpoint++;
      return;
    }
    peer.lastInitiationSent = now;
    this.#releaseHandshakeIndex(peer);
    const index = this.#index.allocateHandshake(peer);
    peer.handshakeIndex = index;
    const msg = createInitiation(
      this.#local,
      peer.handshake,
      index,
      now + this.#epochOffsetMs,
      this.#random,
    );
    if (!msg) {
      this.#releaseHandshakeIndex(peer);
      return;
    }
    peer.cookies.addMacs(now, msg);
    this.stats.initiationsSent++;
    this.#sendHandshakeMessage(now, peer, msg);
    peer.timers.handshakeInitiated(now, this.#jitterMs());
    this.#sink.event?.({ type: "handshake-sent", peer, retry: isRetry });
  }

  #sendHandshakeMessage(now: number, peer: Peer, msg: Uint8Array): void {
    peer.activity.handshakeSent(now, msg.length);
    this.#sink.sendToNetwork(peer, peer.endpoint!, msg);
  }

  /** Uniform in [0, rekeyTimeoutJitterMax] ms. */
  #jitterMs(): number {
    const max = this.#timers.rekeyTimeoutJitterMax;
    if (max <= 0) return 0;
    this.#random(this.#jitter);
    return ((this.#jitter[0] << 8) | this.#jitter[1]) % (Math.floor(max) + 1);
  }

  #installKeypair(now: number, peer: Peer, keys: SessionKeys): void {
    const kp = new Keypair(peer, keys, now);
    this.#index.promote(keys.localIndex, kp);
    peer.handshakeIndex = 0;
    // The receiver first: the peer may answer the very packet the sender is about to send.
    this.#receiver.addKeypair(now, peer.index, {
      localIndex: kp.localIndex,
      key: kp.receiveKey.slice(),
      created: kp.created,
      isInitiator: kp.isInitiator,
      confirmed: kp.isInitiator,
    });
    peer.keypairs.install(kp, this.#retire);
    this.#publishSendKeypair(now, peer);
    peer.timers.sessionDerived(now);
    peer.sentLastMinuteHandshake = false;
  }

  /** Hands the sender the peer's current keypair when it changed. */
  #publishSendKeypair(now: number, peer: Peer): void {
    const kp = peer.keypairs.current;
    if (this.#senderKeypair.get(peer) === kp) return;
    this.#senderKeypair.set(peer, kp);
    this.#sender.setKeypair(
      now,
      peer.index,
      kp && {
        localIndex: kp.localIndex,
        remoteIndex: kp.remoteIndex,
        key: kp.sendKey.slice(),
        created: kp.created,
        isInitiator: kp.isInitiator,
      },
    );
  }

  #handshakeComplete(now: number, peer: Peer, initiator: boolean): void {
    peer.timers.handshakeComplete();
    peer.lastHandshakeMs = now;
    this.stats.handshakesCompleted++;
    this.#sink.event?.({ type: "handshake-complete", peer, initiator });
  }

  #releaseHandshakeIndex(peer: Peer): void {
    if (peer.handshakeIndex !== 0) {
      this.#index.deleteHandshake(peer.handshakeIndex, peer);
      peer.handshakeIndex = 0;
    }
  }

  /** Roaming: authenticated packets from a new source move the peer's endpoint there. */
  #setEndpoint(now: number, peer: Peer, from: Endpoint): void {
    const ep = peer.endpoint;
    if (ep !== undefined && ep.equals(from)) return;
    if (ep === undefined) peer.endpoint = from.clone();
    else ep.copyFrom(from);
    this.#tellEndpoint(now, peer);
    this.#sink.event?.({ type: "endpoint-changed", peer, endpoint: peer.endpoint! });
  }

  #tellEndpoint(now: number, peer: Peer): void {
    this.#sender.setEndpoint(now, peer.index, peer.endpoint!);
    this.#receiver.setEndpoint(now, peer.index, peer.endpoint!);
  }

  // ---------------------------------------------------------------- timers

  /** Runs every due timer. Call at least every TICK_INTERVAL_MS and when nextDeadline() passes. */
  tick(now: number): void {
    this.#limiter.gc(now);
    for (const peer of this.peers) {
      if (peer.startupKeepalivePending) {
        // Persistent keepalive brings the tunnel up at start (handshake, then keepalive).
        peer.startupKeepalivePending = false;
        this.#sender.sendKeepalive(now, peer.index);
      }
      const due = peer.timers.due(now);
      if (due === 0) continue;
      if (due & TIMER_ZERO_KEY_MATERIAL) this.#zeroKeyMaterial(now, peer);
      if (due & TIMER_RETRANSMIT_HANDSHAKE) this.#retransmitHandshake(now, peer);
      if (due & TIMER_SEND_KEEPALIVE) {
        this.#sender.sendKeepalive(now, peer.index);
        peer.timers.rearmKeepaliveIfNeeded(now);
      }
      if (due & TIMER_NEW_HANDSHAKE) this.#sendInitiation(now, peer, false);
      if (due & TIMER_PERSISTENT_KEEPALIVE) this.#sender.sendKeepalive(now, peer.index);
    }
  }

  /** When tick() must run next; a value at or below `now` means immediately. */
  nextDeadline(): number {
    let next = Infinity;
    for (const peer of this.peers) {
      if (peer.startupKeepalivePending) return -Infinity;
      next = Math.min(next, peer.timers.nextDeadline());
    }
    return next;
  }

  #retransmitHandshake(now: number, peer: Peer): void {
    if (peer.timers.handshakeAttempts > peer.timers.maxHandshakeAttempts) {
      peer.timers.handshakeGaveUp(now);
      this.#sender.dropStaged(now, peer.index);
      this.#sink.event?.({ type: "handshake-gave-up", peer });
      return;
    }
    peer.timers.handshakeAttempts++;
    this.#sendInitiation(now, peer, true);
  }

  #zeroKeyMaterial(now: number, peer: Peer): void {
    peer.keypairs.clear(this.#retire);
    this.#publishSendKeypair(now, peer);
    this.#releaseHandshakeIndex(peer);
    peer.handshake.clear();
    this.#sender.dropStaged(now, peer.index);
    this.#sink.event?.({ type: "keys-expired", peer });
  }

  /** Zeroes all key material of the control plane (shutdown). Do not use it afterwards. */
  destroy(): void {
    for (const peer of this.peers) {
      peer.keypairs.clear(this.#retire);
      this.#releaseHandshakeIndex(peer);
      peer.handshake.destroy();
      peer.cookies.destroy();
      peer.timers.stopAll();
    }
    this.#checker.destroy();
    this.#local.privateKey.fill(0);
  }
}
