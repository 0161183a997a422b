/**
 * mac1, mac2 and cookie replies: WireGuard's defence against handshake floods (whitepaper
 * section 5.3 and 5.4.4).
 *
 * - mac1 = MAC(HASH(LABEL_MAC1 || receiver's static public), message up to mac1). Anyone who
 *   knows the receiver's public key can make it, so checking it first drops random junk cheaply.
 * - Under load a responder also wants mac2 = MAC(cookie, message up to mac2), where the cookie
 *   is MAC(secret, source address || source port) and the secret changes every two minutes.
 *   Without a valid mac2 the sender gets a cookie reply instead: the cookie encrypted with
 *   XChaCha20-Poly1305 under HASH(LABEL_COOKIE || responder's static public), with the mac1 of
 *   the message being answered as additional data (so only its true sender can use it).
 *
 * The source encoding (address bytes, 4 or 16, then the port in network byte order) matters only
 * to the responder that issues and later re-checks the cookie: the initiator treats the cookie
 * as an opaque 16-byte value, so this choice needs no agreement with any peer.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import {
  COOKIE_NONCE_SIZE,
  COOKIE_REFRESH_TIME,
  COOKIE_REPLY_COOKIE_OFFSET,
  COOKIE_REPLY_NONCE_OFFSET,
  COOKIE_REPLY_RECEIVER_OFFSET,
  COOKIE_REPLY_SIZE,
  COOKIE_SIZE,
  LABEL_COOKIE,
  LABEL_MAC1,
  MAC_SIZE,
  MESSAGE_COOKIE_REPLY,
} from "./constants.ts";
import type { Endpoint } from "./endpoint.ts";
import { hash, mac } from "./hash.ts";

const encoder = new TextEncoder();
const LABEL_MAC1_BYTES = encoder.encode(LABEL_MAC1);
const LABEL_COOKIE_BYTES = encoder.encode(LABEL_COOKIE);

/** XAEAD(key, nonce, plaintext, ad): XChaCha20-Poly1305 as the cookie reply uses it. */
export function xaeadSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  return xchacha20poly1305(key, nonce, ad).encrypt(plaintext);
}

/** Inverse of xaeadSeal; undefined when authentication fails. */
export function xaeadOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
): Uint8Array | undefined {
  try {
    return xchacha20poly1305(key, nonce, ad).decrypt(ciphertext);
  } catch {
    return undefined;
  }
}

/** The mac1 offset of a handshake message: mac1 and mac2 are its last 32 bytes. */
function mac1Offset(msg: Uint8Array): number {
  return msg.length - 2 * MAC_SIZE;
}

function mac2Offset(msg: Uint8Array): number {
  return msg.length - MAC_SIZE;
}

function equal16(a: Uint8Array, b: Uint8Array, bAt: number): boolean {
  let diff = 0;
  for (let i = 0; i < MAC_SIZE; i++) diff |= a[i] ^ b[bAt + i];
  return diff === 0;
}

/** Source address bytes then the port in network byte order. */
function sourceBytes(src: Endpoint): Uint8Array {
  const n = src.family === 4 ? 4 : 16;
  const out = new Uint8Array(n + 2);
  out.set(src.ip.subarray(0, n));
  out[n] = src.port >>> 8;
  out[n + 1] = src.port & 0xff;
  return out;
}

/**
 * Checks the MACs of handshake messages addressed to us and makes cookie replies. One per Core,
 * keyed by our own static public key.
 */
export class CookieChecker {
  readonly #mac1Key: Uint8Array;
  readonly #cookieKey: Uint8Array;
  readonly #secret = new Uint8Array(32);
  #secretSetAt = -Infinity;
  readonly #random: (buf: Uint8Array) => void;
  readonly #refreshTime: number;

  constructor(
    localPublic: Uint8Array,
    random: (buf: Uint8Array) => void,
    refreshTime = COOKIE_REFRESH_TIME,
  ) {
    this.#mac1Key = hash(LABEL_MAC1_BYTES, localPublic);
    this.#cookieKey = hash(LABEL_COOKIE_BYTES, localPublic);
    this.#random = random;
    this.#refreshTime = refreshTime;
  }

  checkMac1(msg: Uint8Array): boolean {
    const at = mac1Offset(msg);
    return equal16(mac(this.#mac1Key, msg.subarray(0, at)), msg, at);
  }

  /** True if mac2 is valid for a cookie we would give `src` now. */
  checkMac2(now: number, msg: Uint8Array, src: Endpoint): boolean {
    if (now - this.#secretSetAt > this.#refreshTime) return false;
    const cookie = mac(this.#secret, sourceBytes(src));
    const at = mac2Offset(msg);
    return equal16(mac(cookie, msg.subarray(0, at)), msg, at);
  }

  /** A cookie reply to handshake message `msg` from `src`; rotates the secret when stale. */
  createReply(now: number, msg: Uint8Array, receiverIndex: number, src: Endpoint): Uint8Array {
    if (now - this.#secretSetAt > this.#refreshTime) {
      this.#random(this.#secret);
      this.#secretSetAt = now;
    }
    const cookie = mac(this.#secret, sourceBytes(src));
    const reply = new Uint8Array(COOKIE_REPLY_SIZE);
    reply[0] = MESSAGE_COOKIE_REPLY;
    new DataView(reply.buffer).setUint32(COOKIE_REPLY_RECEIVER_OFFSET, receiverIndex, true);
    const nonce = reply.subarray(
      COOKIE_REPLY_NONCE_OFFSET,
      COOKIE_REPLY_NONCE_OFFSET + COOKIE_NONCE_SIZE,
    );
    this.#random(nonce);
    const at = mac1Offset(msg);
    const sealed = xaeadSeal(this.#cookieKey, nonce, cookie, msg.subarray(at, at + MAC_SIZE));
    reply.set(sealed, COOKIE_REPLY_COOKIE_OFFSET);
    return reply;
  }

  destroy(): void {
    this.#secret.fill(0);
  }
}

/**
 * Adds mac1/mac2 to the handshake messages we send to one peer and keeps the cookie that peer
 * gave us. One per peer, keyed by the peer's static public key.
 */
export class CookieGenerator {
  readonly #mac1Key: Uint8Array;
  readonly #cookieKey: Uint8Array;
  readonly #cookie = new Uint8Array(COOKIE_SIZE);
  #cookieSetAt = -Infinity;
  /** mac1 of the last message sent: a cookie reply must be bound to it. */
  readonly #lastMac1 = new Uint8Array(MAC_SIZE);
  #hasLastMac1 = false;
  readonly #refreshTime: number;

  constructor(peerPublic: Uint8Array, refreshTime = COOKIE_REFRESH_TIME) {
    this.#mac1Key = hash(LABEL_MAC1_BYTES, peerPublic);
    this.#cookieKey = hash(LABEL_COOKIE_BYTES, peerPublic);
    this.#refreshTime = refreshTime;
  }

  /** Whether we hold a cookie recent enough to use for mac2. */
  hasFreshCookie(now: number): boolean {
    return now - this.#cookieSetAt < this.#refreshTime;
  }

  /** Writes mac1, and mac2 if we hold a fresh cookie (zeros otherwise), into `msg`. */
  addMacs(now: number, msg: Uint8Array): void {
    const at1 = mac1Offset(msg);
    const m1 = mac(this.#mac1Key, msg.subarray(0, at1));
    msg.set(m1, at1);
    this.#lastMac1.set(m1);
    this.#hasLastMac1 = true;
    const at2 = mac2Offset(msg);
    if (this.hasFreshCookie(now)) {
      msg.set(mac(this.#cookie, msg.subarray(0, at2)), at2);
    } else {
      msg.fill(0, at2, at2 + MAC_SIZE);
    }
  }

  /** Decrypts and stores the cookie from a reply; false if it does not answer our last message. */
  consumeReply(now: number, reply: Uint8Array): boolean {
    if (!this.#hasLastMac1 || reply.length !== COOKIE_REPLY_SIZE) return false;
    const nonce = reply.subarray(
      COOKIE_REPLY_NONCE_OFFSET,
      COOKIE_REPLY_NONCE_OFFSET + COOKIE_NONCE_SIZE,
    );
    const cookie = xaeadOpen(
      this.#cookieKey,
      nonce,
      reply.subarray(COOKIE_REPLY_COOKIE_OFFSET),
      this.#lastMac1,
    );
    if (!cookie) return false;
    this.#cookie.set(cookie);
    this.#cookieSetAt = now;
    // One reply per sent message: a replayed reply must not refresh the cookie's age.
    this.#hasLastMac1 = false;
    return true;
  }

  destroy(): void {
    this.#cookie.fill(0);
    this.#cookieSetAt = -Infinity;
  }
}
