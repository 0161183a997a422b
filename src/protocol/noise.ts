/**
 * The WireGuard handshake: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s (whitepaper section 5.4).
 *
 *   initiator -> responder:  e, es, s, ss      (message type 1, "initiation")
 *   responder -> initiator:  e, ee, se, psk    (message type 2, "response")
 *
 * Each function below follows the whitepaper's steps in order; the Noise token a block
 * implements is written beside it. Messages are built and parsed here without their mac1/mac2
 * fields, which belong to cookie.ts. Handshakes are rare, so this code may allocate freely; it
 * never throws on hostile input (a failed step returns undefined and leaves state untouched).
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import {
  CONSTRUCTION,
  HANDSHAKE_INITIATION_RATE,
  IDENTIFIER,
  INITIATION_EPHEMERAL_OFFSET,
  INITIATION_SENDER_OFFSET,
  INITIATION_SIZE,
  INITIATION_STATIC_OFFSET,
  INITIATION_STATIC_SIZE,
  INITIATION_TIMESTAMP_OFFSET,
  INITIATION_TIMESTAMP_SIZE,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  RESPONSE_EMPTY_OFFSET,
  RESPONSE_EPHEMERAL_OFFSET,
  RESPONSE_RECEIVER_OFFSET,
  RESPONSE_SENDER_OFFSET,
  RESPONSE_SIZE,
} from "./constants.ts";
import { dh, dhGenerate, type DhKeypair } from "./dh.ts";
import { hash, kdf1, kdf2, kdf3 } from "./hash.ts";
import { tai64n, TAI64N_SIZE, tai64nAfter } from "./tai64n.ts";

const encoder = new TextEncoder();
/** C0 = HASH(CONSTRUCTION). */
export const INITIAL_CHAIN_KEY = hash(encoder.encode(CONSTRUCTION));
/** H0 = HASH(C0 || IDENTIFIER). */
export const INITIAL_HASH = hash(INITIAL_CHAIN_KEY, encoder.encode(IDENTIFIER));
const ZERO_NONCE = new Uint8Array(12);
const EMPTY = new Uint8Array(0);

export type HandshakeState =
  | "zeroed"
  | "initiation-created"
  | "initiation-consumed"
  | "response-created"
  | "response-consumed";

/** Our own static identity. */
export interface StaticIdentity {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Per-peer handshake state (one handshake in flight per peer, as in the whitepaper). */
export class Handshake {
  state: HandshakeState = "zeroed";
  chainKey: Uint8Array = new Uint8Array(32);
  hash: Uint8Array = new Uint8Array(32);
  localEphemeral: DhKeypair | undefined;
  remoteEphemeral = new Uint8Array(32);
  /** Our index for this handshake (what the peer writes as "receiver"). */
  localIndex = 0;
  /** The peer's index (what we write as "receiver"). */
  remoteIndex = 0;
  /** Greatest TAI64N timestamp accepted from this peer: initiations must exceed it. */
  readonly lastTimestamp = new Uint8Array(TAI64N_SIZE);
  lastInitiationConsumed = -Infinity;
  readonly remoteStatic: Uint8Array;
  readonly presharedKey: Uint8Array;
  /** DH(our static private, peer static public): fixed per peer, so computed once. */
  readonly staticStatic: Uint8Array | undefined;

  constructor(local: StaticIdentity, remoteStatic: Uint8Array, presharedKey: Uint8Array) {
    this.remoteStatic = remoteStatic;
    this.presharedKey = presharedKey;
    this.staticStatic = dh(local.privateKey, remoteStatic);
  }

  /** Forgets the handshake in progress (keeps the replay-protecting timestamp). */
  clear(): void {
    this.state = "zeroed";
    this.chainKey.fill(0);
    this.hash.fill(0);
    this.localEphemeral?.privateKey.fill(0);
    this.localEphemeral = undefined;
    this.remoteEphemeral.fill(0);
    this.localIndex = 0;
    this.remoteIndex = 0;
  }

  /** Wipes every secret (shutdown). */
  destroy(): void {
    this.clear();
    this.staticStatic?.fill(0);
    this.presharedKey.fill(0);
  }
}

function aeadSeal(key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  return chacha20poly1305(key, ZERO_NONCE, ad).encrypt(plaintext);
}

function aeadOpen(key: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  try {
    return chacha20poly1305(key, ZERO_NONCE, ad).decrypt(ciphertext);
  } catch {
    return undefined;
  }
}

function readU32(msg: Uint8Array, at: number): number {
  return (msg[at] | (msg[at + 1] << 8) | (msg[at + 2] << 16) | (msg[at + 3] << 24)) >>> 0;
}

function writeU32(msg: Uint8Array, at: number, v: number): void {
  msg[at] = v;
  msg[at + 1] = v >>> 8;
  msg[at + 2] = v >>> 16;
  msg[at + 3] = v >>> 24;
}

/**
 * Builds an initiation to the peer of `hs` (mac1/mac2 left zero). `wallMs` is wall-clock time
 * for the TAI64N timestamp. Returns undefined if the peer's static key is unusable.
 */
export function createInitiation(
  local: StaticIdentity,
  hs: Handshake,
  localIndex: number,
  wallMs: number,
  random: (buf: Uint8Array) => void,
): Uint8Array | undefined {
  if (!hs.staticStatic) return undefined;
  const msg = new Uint8Array(INITIATION_SIZE);
  msg[0] = MESSAGE_INITIATION;
  writeU32(msg, INITIATION_SENDER_OFFSET, localIndex);
  let c: Uint8Array = INITIAL_CHAIN_KEY;
  let h: Uint8Array = hash(INITIAL_HASH, hs.remoteStatic);

  /* e */
  const e = dhGenerate(random);
  msg.set(e.publicKey, INITIATION_EPHEMERAL_OFFSET);
  c = kdf1(c, e.publicKey);
  h = hash(h, e.publicKey);

  /* es */
  const es = dh(e.privateKey, hs.remoteStatic);
  if (!es) return undefined;
  let key: Uint8Array;
  [c, key] = kdf2(c, es);

  /* s */
  const encStatic = aeadSeal(key, local.publicKey, h);
  msg.set(encStatic, INITIATION_STATIC_OFFSET);
  h = hash(h, encStatic);

  /* ss */
  [c, key] = kdf2(c, hs.staticStatic);

  /* timestamp: {TAI64N} */
  const encTimestamp = aeadSeal(key, tai64n(wallMs), h);
  msg.set(encTimestamp, INITIATION_TIMESTAMP_OFFSET);
  h = hash(h, encTimestamp);

  hs.clear();
  hs.chainKey = c;
  hs.hash = h;
  hs.localEphemeral = e;
  hs.localIndex = localIndex;
  hs.state = "initiation-created";
  return msg;
}

/**
 * Processes an initiation addressed to `local`. `lookup` maps the decrypted initiator static
 * key to its owner (a peer). On success the owner's handshake holds the state for the response.
 * Rejects replays (timestamp not newer than the last accepted one) and floods (another
 * initiation from the same peer within HANDSHAKE_INITIATION_RATE).
 */
export function consumeInitiation<P extends { handshake: Handshake }>(
  local: StaticIdentity,
  msg: Uint8Array,
  now: number,
  lookup: (staticPublic: Uint8Array) => P | undefined,
): P | undefined {
  if (msg.length !== INITIATION_SIZE || msg[0] !== MESSAGE_INITIATION) return undefined;
  let c: Uint8Array = INITIAL_CHAIN_KEY;
  let h: Uint8Array = hash(INITIAL_HASH, local.publicKey);

  /* e */
  const ephemeral = msg.slice(INITIATION_EPHEMERAL_OFFSET, INITIATION_EPHEMERAL_OFFSET + 32);
  c = kdf1(c, ephemeral);
  h = hash(h, ephemeral);

  /* es */
  const es = dh(local.privateKey, ephemeral);
  if (!es) return undefined;
  let key: Uint8Array;
  [c, key] = kdf2(c, es);

  /* s */
  const encStatic = msg.subarray(
    INITIATION_STATIC_OFFSET,
    INITIATION_STATIC_OFFSET + INITIATION_STATIC_SIZE,
  );
  const remoteStatic = aeadOpen(key, encStatic, h);
  if (!remoteStatic) return undefined;
  h = hash(h, encStatic);
  const owner = lookup(remoteStatic);
  if (!owner) return undefined;
  const hs = owner.handshake;
  if (!hs.staticStatic) return undefined;

  /* ss */
  [c, key] = kdf2(c, hs.staticStatic);

  /* timestamp */
  const encTimestamp = msg.subarray(
    INITIATION_TIMESTAMP_OFFSET,
    INITIATION_TIMESTAMP_OFFSET + INITIATION_TIMESTAMP_SIZE,
  );
  const timestamp = aeadOpen(key, encTimestamp, h);
  if (!timestamp) return undefined;
  h = hash(h, encTimestamp);

  if (!tai64nAfter(timestamp, hs.lastTimestamp)) return undefined;
  if (now - hs.lastInitiationConsumed < HANDSHAKE_INITIATION_RATE) return undefined;

  hs.clear();
  hs.chainKey = c;
  hs.hash = h;
  hs.remoteEphemeral.set(ephemeral);
  hs.remoteIndex = readU32(msg, INITIATION_SENDER_OFFSET);
  hs.lastTimestamp.set(timestamp);
  hs.lastInitiationConsumed = now;
  hs.state = "initiation-consumed";
  return owner;
}

/** Builds the response to a consumed initiation (mac1/mac2 left zero). */
export function createResponse(
  hs: Handshake,
  localIndex: number,
  random: (buf: Uint8Array) => void,
): Uint8Array | undefined {
  if (hs.state !== "initiation-consumed") return undefined;
  const msg = new Uint8Array(RESPONSE_SIZE);
  msg[0] = MESSAGE_RESPONSE;
  writeU32(msg, RESPONSE_SENDER_OFFSET, localIndex);
  writeU32(msg, RESPONSE_RECEIVER_OFFSET, hs.remoteIndex);
  let c: Uint8Array = hs.chainKey;
  let h: Uint8Array = hs.hash;

  /* e */
  const e = dhGenerate(random);
  msg.set(e.publicKey, RESPONSE_EPHEMERAL_OFFSET);
  c = kdf1(c, e.publicKey);
  h = hash(h, e.publicKey);

  /* ee */
  const ee = dh(e.privateKey, hs.remoteEphemeral);
  if (!ee) return undefined;
  c = kdf1(c, ee);

  /* se */
  const se = dh(e.privateKey, hs.remoteStatic);
  if (!se) return undefined;
  c = kdf1(c, se);

  /* psk */
  const [c2, tau, key] = kdf3(c, hs.presharedKey);
  c = c2;
  h = hash(h, tau);

  /* {} */
  const empty = aeadSeal(key, EMPTY, h);
  msg.set(empty, RESPONSE_EMPTY_OFFSET);
  h = hash(h, empty);

  hs.chainKey = c;
  hs.hash = h;
  e.privateKey.fill(0);
  hs.localIndex = localIndex;
  hs.state = "response-created";
  return msg;
}

/**
 * Processes a response. `lookup` maps our index (the message's receiver field) to the owner of
 * the handshake that index belongs to. Fails unless that handshake awaits a response.
 */
export function consumeResponse<P extends { handshake: Handshake }>(
  local: StaticIdentity,
  msg: Uint8Array,
  lookup: (localIndex: number) => P | undefined,
): P | undefined {
  if (msg.length !== RESPONSE_SIZE || msg[0] !== MESSAGE_RESPONSE) return undefined;
  const receiver = readU32(msg, RESPONSE_RECEIVER_OFFSET);
  const owner = lookup(receiver);
  if (!owner) return undefined;
  const hs = owner.handshake;
  if (hs.state !== "initiation-created" || !hs.localEphemeral || hs.localIndex !== receiver) {
    return undefined;
  }
  let c: Uint8Array = hs.chainKey;
  let h: Uint8Array = hs.hash;

  /* e */
  const ephemeral = msg.slice(RESPONSE_EPHEMERAL_OFFSET, RESPONSE_EPHEMERAL_OFFSET + 32);
  c = kdf1(c, ephemeral);
  h = hash(h, ephemeral);

  /* ee */
  const ee = dh(hs.localEphemeral.privateKey, ephemeral);
  if (!ee) return undefined;
  c = kdf1(c, ee);

  /* se */
  const se = dh(local.privateKey, ephemeral);
  if (!se) return undefined;
  c = kdf1(c, se);

  /* psk */
  const [c2, tau, key] = kdf3(c, hs.presharedKey);
  c = c2;
  h = hash(h, tau);

  /* {} */
  const empty = msg.subarray(RESPONSE_EMPTY_OFFSET, RESPONSE_EMPTY_OFFSET + 16);
  if (!aeadOpen(key, empty, h)) return undefined;
  h = hash(h, empty);

  hs.chainKey = c;
  hs.hash = h;
  hs.remoteIndex = readU32(msg, RESPONSE_SENDER_OFFSET);
  hs.localEphemeral.privateKey.fill(0);
  hs.localEphemeral = undefined;
  hs.state = "response-consumed";
  return owner;
}

export interface SessionKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  isInitiator: boolean;
  localIndex: number;
  remoteIndex: number;
}

/**
 * Derives the transport keys once the handshake is done (initiator after consuming the
 * response, responder after creating it): (T_i->r, T_r->i) = KDF2(C, empty). Clears the
 * handshake so its secrets cannot be reused.
 */
export function deriveSessionKeys(hs: Handshake): SessionKeys | undefined {
  let isInitiator: boolean;
  if (hs.state === "response-consumed") isInitiator = true;
  else if (hs.state === "response-created") isInitiator = false;
  else return undefined;
  const [first, second] = kdf2(hs.chainKey, EMPTY);
  const keys: SessionKeys = {
    sendKey: isInitiator ? first : second,
    receiveKey: isInitiator ? second : first,
    isInitiator,
    localIndex: hs.localIndex,
    remoteIndex: hs.remoteIndex,
  };
  hs.clear();
  return keys;
}

/** Reads the sender index of an initiation or response (for cookie replies). */
export function senderIndex(msg: Uint8Array): number {
  return readU32(msg, INITIATION_SENDER_OFFSET);
}
