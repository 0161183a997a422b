/**
 * The WireGuard protocol core, sans-IO: datagrams, tunnel packets and the time go in; datagrams
 * to send, packets for the tunnel and events come out through a sink. It never reads a clock,
 * never does I/O, and takes randomness only from the injected function.
 *
 * Receive path (handleDatagram):
 *   1. type and size check  2. handshake: mac1, load check (mac2 / cookie reply, rate limit),
 *   Noise  3. transport: index lookup, counter range, keypair age, decrypt, replay window,
 *   roaming, key rotation, inner packet checks, allowed-IPs source check, to the tunnel.
 * Send path (handleTunnelPacket, sendControl):
 *   1. route by destination through allowed IPs  2. a usable keypair? else queue and handshake
 *   3. pad, counter, header into the headroom, seal in place  4. to the network.
 *
 * The transport paths allocate nothing but subarray views: counters are plain numbers, headers
 * are written byte by byte, decryption goes into a scratch buffer. Handshakes may allocate.
 */
import type { TransportAead } from "../crypto/aead.ts";
import { NobleAead } from "../crypto/noble_aead.ts";
import { AllowedIps, parsePrefix } from "./allowed_ips.ts";
import {
  COOKIE_REPLY_RECEIVER_OFFSET,
  COOKIE_REPLY_SIZE,
  INITIATION_SIZE,
  MAX_CONTENT_SIZE,
  MAX_MESSAGE_SIZE,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  MESSAGE_TRANSPORT,
  PADDING_MULTIPLE,
  REPLAY_WINDOW_DEFAULT,
  RESPONSE_SIZE,
  STAGED_QUEUE_SIZE,
  TRANSPORT_COUNTER_OFFSET,
  TRANSPORT_HEADER_SIZE,
  TRANSPORT_MIN_SIZE,
  TRANSPORT_RECEIVER_OFFSET,
  UNDER_LOAD_AFTER_TIME,
  UNDER_LOAD_THRESHOLD,
} from "./constants.ts";
import { CookieChecker } from "./cookie.ts";
import type { Endpoint } from "./endpoint.ts";
import { IndexTable } from "./index_table.ts";
import {
  ipPacketLength,
  IPV4_DST_OFFSET,
  IPV4_HEADER_MIN,
  IPV4_SRC_OFFSET,
  IPV6_DST_OFFSET,
  IPV6_HEADER_SIZE,
  IPV6_SRC_OFFSET,
  ipVersion,
} from "./inner_packet.ts";
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
import { RateLimiter } from "./ratelimiter.ts";
import { type CoreStats, newCoreStats } from "./stats.ts";
import {
  type ProtocolTimers,
  resolveTimers,
  TIMER_NEW_HANDSHAKE,
  TIMER_PERSISTENT_KEEPALIVE,
  TIMER_RETRANSMIT_HANDSHAKE,
  TIMER_SEND_KEEPALIVE,
  TIMER_ZERO_KEY_MATERIAL,
} from "./timers.ts";
import { messageType, readCounter, readU32LE, writeTransportHeader } from "./wire.ts";

export { TICK_INTERVAL_MS } from "./constants.ts";
export type { ProtocolTimers } from "./timers.ts";
export type { CoreStats } from "./stats.ts";
export { Peer } from "./peer.ts";

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

export type CoreEvent =
  | { type: "handshake-sent"; peer: Peer; retry: boolean }
  | { type: "handshake-complete"; peer: Peer; initiator: boolean }
  | { type: "handshake-gave-up"; peer: Peer }
  | { type: "keys-expired"; peer: Peer }
  | { type: "endpoint-changed"; peer: Peer; endpoint: Endpoint }
  | { type: "cookie-received"; peer: Peer };

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
  control?(peer: Peer, payload: Uint8Array): void;
  /** Rare, for logs and status; may allocate. */
  event?(event: CoreEvent): void;
}

/** Bytes reserved before a packet for the transport header. */
const HEADROOM = TRANSPORT_HEADER_SIZE;
/** Bytes reserved after a packet for padding and the tag. */
const TAILROOM = PADDING_MULTIPLE - 1 + 16;

function keyId(key: Uint8Array): string | undefined {
  return key.length === KEY_LENGTH ? encodeKey(key) : undefined;
}

export class Core {
  readonly peers: readonly Peer[];
  readonly stats: CoreStats = newCoreStats();

  readonly #sink: CoreSink;
  readonly #local: StaticIdentity;
  readonly #random: (buf: Uint8Array) => void;
  readonly #epochOffsetMs: number;
  readonly #aead: TransportAead;
  readonly #timers: ProtocolTimers;
  readonly #replayWindow: number;
  readonly #underLoadThreshold: number;
  readonly #byKey = new Map<string, Peer>();
  readonly #routes = new AllowedIps<Peer>();
  readonly #index: IndexTable<Peer, Keypair<Peer>>;
  readonly #checker: CookieChecker;
  readonly #limiter = new RateLimiter();
  /** Decrypted payloads land here (the received datagram is borrowed, not ours to write). */
  readonly #plain = new Uint8Array(MAX_MESSAGE_SIZE);
  /** Staged packets, keepalives and control frames are sealed here. */
  readonly #tx = new Uint8Array(HEADROOM + MAX_CONTENT_SIZE + TAILROOM);
  readonly #jitter = new Uint8Array(2);
  #loadWindowStart = -Infinity;
  #loadCount = 0;
  #underLoadUntil = -Infinity;
  /** Drops a keypair: out of the index, keys wiped. Bound once so no closure per call. */
  readonly #retire = (kp: Keypair<Peer>): void => {
    this.#index.deleteKeypair(kp.localIndex, kp);
    kp.destroy();
  };

  constructor(config: CoreConfig, sink: CoreSink) {
    if (!(config.privateKey instanceof Uint8Array) || config.privateKey.length !== KEY_LENGTH) {
      throw new RangeError(`privateKey must be 32 bytes, got ${config.privateKey?.length}`);
    }
    if (typeof config.random !== "function") throw new TypeError("random must be a function");
    if (!Number.isFinite(config.epochOffsetMs)) {
      throw new RangeError(`epochOffsetMs must be a finite number, got ${config.epochOffsetMs}`);
    }
    const replayWindow = config.replayWindow ?? REPLAY_WINDOW_DEFAULT;
    if (!Number.isInteger(replayWindow) || replayWindow < 1) {
      throw new RangeError(`replayWindow must be a positive integer, got ${replayWindow}`);
    }
    const threshold = config.underLoadThreshold ?? UNDER_LOAD_THRESHOLD;
    if (!(threshold >= 0)) {
      throw new RangeError(`underLoadThreshold must be >= 0, got ${threshold}`);
    }
    const privateKey = config.privateKey.slice();
    this.#local = { privateKey, publicKey: derivePublicKey(privateKey) };
    this.#sink = sink;
    this.#random = config.random;
    this.#epochOffsetMs = config.epochOffsetMs;
    this.#aead = config.aead ?? new NobleAead();
    this.#timers = resolveTimers(config.timers);
    this.#replayWindow = replayWindow;
    this.#underLoadThreshold = threshold;
    this.#index = new IndexTable(config.random);
    this.#checker = new CookieChecker(this.#local.publicKey, config.random);

    const peers: Peer[] = [];
    config.peers.forEach((pc, i) => peers.push(this.#makePeer(pc, i, config)));
    this.peers = peers;
  }

  #makePeer(pc: PeerConfig, i: number, config: CoreConfig): Peer {
    const where = `peers[${i}] (${pc.name})`;
    const id = keyId(pc.publicKey);
    if (!id) throw new RangeError(`${where}.publicKey must be 32 bytes`);
    if (this.#byKey.has(id)) throw new RangeError(`${where}.publicKey duplicates another peer's`);
    if (id === keyId(this.#local.publicKey)) {
      throw new RangeError(`${where}.publicKey is this node's own public key`);
    }
    const psk = pc.presharedKey ?? new Uint8Array(32);
    if (psk.length !== 32) {
      throw new RangeError(`${where}.presharedKey must be 32 bytes, got ${psk.length}`);
    }
    const keepalive = pc.persistentKeepalive ?? 0;
    if (!Number.isInteger(keepalive) || keepalive < 0 || keepalive > 65535) {
      throw new RangeError(
        `${where}.persistentKeepalive must be 0-65535 seconds, got ${keepalive}`,
      );
    }
    for (const cidr of pc.allowedIps) {
      try {
        parsePrefix(cidr);
      } catch (e) {
        throw new RangeError(`${where}.allowedIps: ${(e as Error).message}`);
      }
    }
    const peer = new Peer(
      {
        name: pc.name,
        publicKey: pc.publicKey.slice(),
        presharedKey: psk.slice(),
        endpoint: pc.endpoint,
        allowedIps: [...pc.allowedIps],
        persistentKeepalive: keepalive,
        stagedQueueSize: config.stagedQueueSize ?? STAGED_QUEUE_SIZE,
      },
      this.#local,
      this.#timers,
    );
    if (!peer.handshake.staticStatic) {
      throw new RangeError(`${where}.publicKey is a low-order point (not a usable key)`);
    }
    for (const cidr of pc.allowedIps) this.#routes.insert(cidr, peer);
    this.#byKey.set(id, peer);
    return peer;
  }

  peerByPublicKey(key: Uint8Array): Peer | undefined {
    const id = keyId(key);
    return id === undefined ? undefined : this.#byKey.get(id);
  }

  // ---------------------------------------------------------------- receive path

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
        else this.#receiveHandshake(now, datagram, from);
        return;
      case MESSAGE_RESPONSE:
        if (len !== RESPONSE_SIZE) this.stats.dropBadSize++;
        else this.#receiveHandshake(now, datagram, from);
        return;
      case MESSAGE_COOKIE_REPLY:
        if (len !== COOKIE_REPLY_SIZE) this.stats.dropBadSize++;
        else this.#receiveCookieReply(now, datagram);
        return;
      default:
        this.stats.dropUnknownType++;
    }
  }

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
    peer.rxBytes += msg.length;
    peer.rxPackets++;
    // Our own initiation to this peer, if any, is superseded: the peer's wins.
    this.#releaseHandshakeIndex(peer);
    this.#setEndpoint(peer, from);
    peer.timers.anyAuthenticatedPacketReceived();
    peer.timers.anyAuthenticatedPacketTraversal(now);

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
    peer.rxBytes += msg.length;
    peer.rxPackets++;
    this.#setEndpoint(peer, from);
    peer.timers.anyAuthenticatedPacketReceived();
    peer.timers.anyAuthenticatedPacketTraversal(now);
    this.#installKeypair(now, peer, keys);
    this.#handshakeComplete(now, peer, true);
    // The responder switches to the new keys only when a packet arrives under them: send one
    // now (queued data if any, else a keepalive) instead of waiting for the next packet.
    this.#sendKeepalive(now, peer);
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

  #receiveTransport(now: number, d: Uint8Array, from: Endpoint): void {
    const kp = this.#index.keypairs.get(readU32LE(d, TRANSPORT_RECEIVER_OFFSET));
    if (kp === undefined) {
      this.stats.dropUnknownReceiver++;
      return;
    }
    const counter = readCounter(d, TRANSPORT_COUNTER_OFFSET);
    if (counter < 0) {
      this.stats.dropCounterTooLarge++;
      return;
    }
    const peer = kp.owner;
    if (!peer.timers.canReceive(now, kp.created)) {
      this.stats.dropExpiredKeypair++;
      return;
    }
    const n = d.length - TRANSPORT_MIN_SIZE;
    const plain = this.#plain;
    if (
      !this.#aead.open(
        kp.receiveKey,
        counter,
        d.subarray(TRANSPORT_HEADER_SIZE),
        plain.subarray(0, n),
      )
    ) {
      this.stats.dropBadAuth++;
      return;
    }
    // Only after authentication: forged counters must not move the window.
    if (!kp.replay.accept(counter)) {
      this.stats.dropReplay++;
      return;
    }
    this.stats.transportReceived++;
    peer.rxBytes += d.length;
    peer.rxPackets++;
    this.#setEndpoint(peer, from);
    if (peer.keypairs.receivedWith(kp, this.#retire)) {
      this.#handshakeComplete(now, peer, false);
      if (peer.staged.size > 0) this.#flushStaged(now, peer);
    }
    this.#keepKeyFreshReceiving(now, peer);
    peer.timers.anyAuthenticatedPacketReceived();
    peer.timers.anyAuthenticatedPacketTraversal(now);
    if (n === 0) {
      this.stats.keepalivesReceived++;
      return;
    }
    peer.timers.dataReceived(now);
    const version = ipVersion(plain, 0, n);
    if (version === 0) {
      if (this.#sink.control) {
        this.stats.controlReceived++;
        this.#sink.control(peer, plain.subarray(0, n));
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
    this.#sink.writeToTunnel(peer, plain.subarray(0, length));
  }

  // ---------------------------------------------------------------- send path

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

  /** Sends a bond control frame (first nibble not 4 or 6) to `peer`. Throws on misuse. */
  sendControl(now: number, peer: Peer, payload: Uint8Array): void {
    if (!this.peers.includes(peer)) throw new RangeError(`sendControl: unknown peer ${peer.name}`);
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
    this.#tx.set(payload, HEADROOM);
    this.#sendPacket(now, peer, this.#tx, HEADROOM, payload.length);
  }

  #sendPacket(now: number, peer: Peer, buf: Uint8Array, offset: number, length: number): void {
    if (peer.staged.size === 0) {
      const kp = peer.keypairs.current;
      if (
        kp !== undefined && peer.endpoint !== undefined &&
        peer.timers.canSend(now, kp.created, kp.sendCounter)
      ) {
        this.#seal(now, peer, kp, buf, offset, length);
        this.#keepKeyFreshSending(now, peer, kp);
        return;
      }
    }
    // Rare path: keep packet order by queueing behind what already waits.
    if (peer.staged.push(buf.subarray(offset, offset + length))) {
      this.stats.tunnelDropStagedOverflow++;
    }
    this.#flushStaged(now, peer);
  }

  /** Sends queued packets if a keypair is usable, else starts a handshake. */
  #flushStaged(now: number, peer: Peer): void {
    const kp = peer.keypairs.current;
    let sent = false;
    while (peer.staged.size > 0) {
      if (
        kp === undefined || peer.endpoint === undefined ||
        !peer.timers.canSend(now, kp.created, kp.sendCounter)
      ) {
        this.#sendInitiation(now, peer, false);
        return;
      }
      const packet = peer.staged.shift()!;
      this.#tx.set(packet, HEADROOM);
      this.#seal(now, peer, kp, this.#tx, HEADROOM, packet.length);
      sent = true;
    }
    if (sent) this.#keepKeyFreshSending(now, peer, kp!);
  }

  /** An empty transport packet: proves liveness and confirms new keys to a responder. */
  #sendKeepalive(now: number, peer: Peer): void {
    if (peer.staged.size > 0) this.#flushStaged(now, peer);
    else this.#sendPacket(now, peer, this.#tx, HEADROOM, 0);
  }

  #seal(
    now: number,
    peer: Peer,
    kp: Keypair<Peer>,
    buf: Uint8Array,
    offset: number,
    length: number,
  ): void {
    const counter = kp.sendCounter++;
    // Pad to a multiple of 16 (hides exact sizes); never past the largest message.
    const padded = Math.min(
      (length + PADDING_MULTIPLE - 1) & ~(PADDING_MULTIPLE - 1),
      MAX_CONTENT_SIZE,
    );
    buf.fill(0, offset + length, offset + padded);
    writeTransportHeader(buf, offset - HEADROOM, kp.remoteIndex, counter);
    this.#aead.seal(
      kp.sendKey,
      counter,
      buf.subarray(offset, offset + padded),
      buf.subarray(offset, offset + padded + 16),
    );
    const datagram = buf.subarray(offset - HEADROOM, offset + padded + 16);
    peer.txBytes += datagram.length;
    peer.txPackets++;
    if (length > 0) {
      this.stats.transportSent++;
      peer.timers.dataSent(now);
    } else {
      this.stats.keepalivesSent++;
    }
    peer.timers.anyAuthenticatedPacketSent();
    peer.timers.anyAuthenticatedPacketTraversal(now);
    this.#sink.sendToNetwork(peer, peer.endpoint!, datagram);
  }

  // ---------------------------------------------------------------- handshakes

  /**
   * Sends an initiation unless one went out less than REKEY_TIMEOUT ago. `isRetry` marks
   * timer-driven retransmissions; any other call restarts the attempt count.
   */
  #sendInitiation(now: number, peer: Peer, isRetry: boolean): void {
    if (!isRetry) peer.timers.handshakeAttempts = 0;
    if (now - peer.lastInitiationSent < this.#timers.rekeyTimeout) return;
    const to = peer.endpoint;
    if (to === undefined) {
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
    peer.txBytes += msg.length;
    peer.txPackets++;
    peer.timers.anyAuthenticatedPacketTraversal(now);
    peer.timers.anyAuthenticatedPacketSent();
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
    const kp = new Keypair(peer, keys, now, this.#replayWindow, this.#timers.rejectAfterMessages);
    this.#index.promote(keys.localIndex, kp);
    peer.handshakeIndex = 0;
    peer.keypairs.install(kp, this.#retire);
    peer.timers.sessionDerived(now);
    peer.sentLastMinuteHandshake = false;
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

  /** The initiator rekeys when its keys are old or worn (REKEY_AFTER_TIME/MESSAGES). */
  #keepKeyFreshSending(now: number, peer: Peer, kp: Keypair<Peer>): void {
    if (kp.isInitiator && peer.timers.shouldRekeyOnSend(now, kp.created, kp.sendCounter)) {
      this.#sendInitiation(now, peer, false);
    }
  }

  /** Rekey on receive shortly before the keys expire, in case we have nothing to send. */
  #keepKeyFreshReceiving(now: number, peer: Peer): void {
    if (peer.sentLastMinuteHandshake) return;
    const kp = peer.keypairs.current;
    if (kp !== undefined && kp.isInitiator && peer.timers.shouldRekeyOnReceive(now, kp.created)) {
      peer.sentLastMinuteHandshake = true;
      this.#sendInitiation(now, peer, false);
    }
  }

  /** Roaming: authenticated packets from a new source move the peer's endpoint there. */
  #setEndpoint(peer: Peer, from: Endpoint): void {
    const ep = peer.endpoint;
    if (ep !== undefined && ep.equals(from)) return;
    if (ep === undefined) peer.endpoint = from.clone();
    else ep.copyFrom(from);
    this.#sink.event?.({ type: "endpoint-changed", peer, endpoint: peer.endpoint! });
  }

  // ---------------------------------------------------------------- timers

  /** Runs every due timer. Call at least every TICK_INTERVAL_MS and when nextDeadline() passes. */
  tick(now: number): void {
    this.#limiter.gc(now);
    for (const peer of this.peers) {
      if (peer.startupKeepalivePending) {
        // Persistent keepalive brings the tunnel up at start (handshake, then keepalive).
        peer.startupKeepalivePending = false;
        this.#sendKeepalive(now, peer);
      }
      const due = peer.timers.due(now);
      if (due === 0) continue;
      if (due & TIMER_ZERO_KEY_MATERIAL) this.#zeroKeyMaterial(peer);
      if (due & TIMER_RETRANSMIT_HANDSHAKE) this.#retransmitHandshake(now, peer);
      if (due & TIMER_SEND_KEEPALIVE) {
        this.#sendKeepalive(now, peer);
        peer.timers.rearmKeepaliveIfNeeded(now);
      }
      if (due & TIMER_NEW_HANDSHAKE) this.#sendInitiation(now, peer, false);
      if (due & TIMER_PERSISTENT_KEEPALIVE) this.#sendKeepalive(now, peer);
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
      this.stats.tunnelDropStagedFlushed += peer.staged.clear();
      this.#sink.event?.({ type: "handshake-gave-up", peer });
      return;
    }
    peer.timers.handshakeAttempts++;
    this.#sendInitiation(now, peer, true);
  }

  #zeroKeyMaterial(peer: Peer): void {
    peer.keypairs.clear(this.#retire);
    this.#releaseHandshakeIndex(peer);
    peer.handshake.clear();
    this.stats.tunnelDropStagedFlushed += peer.staged.clear();
    this.#sink.event?.({ type: "keys-expired", peer });
  }

  /** Zeroes all key material (shutdown). The core must not be used afterwards. */
  destroy(): void {
    for (const peer of this.peers) {
      peer.keypairs.clear(this.#retire);
      this.#releaseHandshakeIndex(peer);
      peer.handshake.destroy();
      peer.cookies.destroy();
      peer.staged.clear();
      peer.timers.stopAll();
    }
    this.#checker.destroy();
    this.#local.privateKey.fill(0);
    this.#plain.fill(0);
    this.#tx.fill(0);
  }
}
