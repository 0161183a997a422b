/**
 * The per-peer protocol timers (whitepaper section 6) as plain deadlines. Events from the
 * packet paths set or clear deadlines; `due(now)` reports which have passed and disarms them.
 * No clock is read here: every function takes `now` (monotonic milliseconds).
 *
 * Deadline meanings:
 * - retransmitHandshake: resend an unanswered initiation (REKEY_TIMEOUT + jitter).
 * - sendKeepalive: we received data and sent nothing back for KEEPALIVE_TIMEOUT: send an empty
 *   packet so the peer knows the session is alive (passive keepalive).
 * - newHandshake: we sent data and got nothing back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT:
 *   the session may be dead, start a new handshake.
 * - zeroKeyMaterial: 3 x REJECT_AFTER_TIME after the last session was derived, wipe all keys.
 * - persistentKeepalive: the user asked for a packet at least every N seconds (NAT mappings).
 */
import {
  KEEPALIVE_TIMEOUT,
  REJECT_AFTER_MESSAGES,
  REJECT_AFTER_TIME,
  REKEY_AFTER_MESSAGES,
  REKEY_AFTER_TIME,
  REKEY_ATTEMPT_TIME,
  REKEY_TIMEOUT,
  REKEY_TIMEOUT_JITTER_MAX,
} from "./constants.ts";

/** Every time and count limit the timers use; tests shorten them through CoreConfig.timers. */
export interface ProtocolTimers {
  rekeyAfterTime: number;
  rejectAfterTime: number;
  rekeyAttemptTime: number;
  rekeyTimeout: number;
  keepaliveTimeout: number;
  rekeyTimeoutJitterMax: number;
  rekeyAfterMessages: number;
  rejectAfterMessages: number;
}

export const DEFAULT_TIMERS: Readonly<ProtocolTimers> = Object.freeze({
  rekeyAfterTime: REKEY_AFTER_TIME,
  rejectAfterTime: REJECT_AFTER_TIME,
  rekeyAttemptTime: REKEY_ATTEMPT_TIME,
  rekeyTimeout: REKEY_TIMEOUT,
  keepaliveTimeout: KEEPALIVE_TIMEOUT,
  rekeyTimeoutJitterMax: REKEY_TIMEOUT_JITTER_MAX,
  rekeyAfterMessages: REKEY_AFTER_MESSAGES,
  rejectAfterMessages: REJECT_AFTER_MESSAGES,
});

/** Merges overrides onto the defaults and checks them (config errors name the key). */
export function resolveTimers(overrides: Partial<ProtocolTimers> = {}): ProtocolTimers {
  const t = { ...DEFAULT_TIMERS, ...overrides };
  for (const [key, value] of Object.entries(t)) {
    if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`timers.${key} must be a non-negative finite number, got ${value}`);
    }
  }
  if (t.rejectAfterMessages > REJECT_AFTER_MESSAGES) {
    throw new RangeError(
      `timers.rejectAfterMessages must be <= 2^53 (counters are JS numbers), got ${t.rejectAfterMessages}`,
    );
  }
  return t;
}

/** Bit flags returned by `PeerTimers.due`. */
export const TIMER_RETRANSMIT_HANDSHAKE = 1;
export const TIMER_SEND_KEEPALIVE = 2;
export const TIMER_NEW_HANDSHAKE = 4;
export const TIMER_ZERO_KEY_MATERIAL = 8;
export const TIMER_PERSISTENT_KEEPALIVE = 16;

export class PeerTimers {
  retransmitHandshakeAt = Infinity;
  sendKeepaliveAt = Infinity;
  newHandshakeAt = Infinity;
  zeroKeyMaterialAt = Infinity;
  persistentKeepaliveAt = Infinity;
  /** Data arrived while a passive keepalive was already pending: send another after it. */
  needAnotherKeepalive = false;
  /** Retransmissions of the current handshake so far. */
  handshakeAttempts = 0;
  readonly #t: ProtocolTimers;
  /** Persistent keepalive interval in ms; 0 = off. */
  readonly persistentKeepaliveInterval: number;

  constructor(timers: ProtocolTimers, persistentKeepaliveInterval: number) {
    this.#t = timers;
    this.persistentKeepaliveInterval = persistentKeepaliveInterval;
  }

  /** Retransmissions allowed before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
  get maxHandshakeAttempts(): number {
    return Math.ceil(this.#t.rekeyAttemptTime / Math.max(1, this.#t.rekeyTimeout));
  }

  /** A data packet (non-empty) was sent. */
  dataSent(now: number): void {
    if (this.newHandshakeAt === Infinity) {
      this.newHandshakeAt = now + this.#t.keepaliveTimeout + this.#t.rekeyTimeout;
    }
  }

  /** A data packet (non-empty) was received. */
  dataReceived(now: number): void {
    if (this.sendKeepaliveAt === Infinity) {
      this.sendKeepaliveAt = now + this.#t.keepaliveTimeout;
    } else {
      this.needAnotherKeepalive = true;
    }
  }

  /** After a passive keepalive went out while more data had arrived: schedule another. */
  rearmKeepaliveIfNeeded(now: number): void {
    if (!this.needAnotherKeepalive) return;
    this.needAnotherKeepalive = false;
    this.sendKeepaliveAt = now + this.#t.keepaliveTimeout;
  }

  /** Any authenticated packet (handshake or transport, keepalives too) was sent. */
  anyAuthenticatedPacketSent(): void {
    this.sendKeepaliveAt = Infinity;
  }

  /** Any authenticated packet was received. */
  anyAuthenticatedPacketReceived(): void {
    this.newHandshakeAt = Infinity;
  }

  /** Any authenticated packet was sent or received: restarts the persistent keepalive. */
  anyAuthenticatedPacketTraversal(now: number): void {
    if (this.persistentKeepaliveInterval > 0) {
      this.persistentKeepaliveAt = now + this.persistentKeepaliveInterval;
    }
  }

  /** An initiation was sent; `jitter` in [0, rekeyTimeoutJitterMax]. */
  handshakeInitiated(now: number, jitter: number): void {
    this.retransmitHandshakeAt = now + this.#t.rekeyTimeout + jitter;
  }

  /** A handshake completed (initiator: response consumed; responder: next keypair confirmed). */
  handshakeComplete(): void {
    this.retransmitHandshakeAt = Infinity;
    this.handshakeAttempts = 0;
  }

  /** New transport keys were derived. */
  sessionDerived(now: number): void {
    this.zeroKeyMaterialAt = now + 3 * this.#t.rejectAfterTime;
  }

  /** Gave up on handshaking: still wipe keys eventually, even if no session was ever derived. */
  handshakeGaveUp(now: number): void {
    this.sendKeepaliveAt = Infinity;
    if (this.zeroKeyMaterialAt === Infinity) {
      this.zeroKeyMaterialAt = now + 3 * this.#t.rejectAfterTime;
    }
  }

  /** All timers off (keys zeroed, or shutdown). */
  stopAll(): void {
    this.retransmitHandshakeAt = Infinity;
    this.sendKeepaliveAt = Infinity;
    this.newHandshakeAt = Infinity;
    this.zeroKeyMaterialAt = Infinity;
    this.persistentKeepaliveAt = Infinity;
    this.needAnotherKeepalive = false;
    this.handshakeAttempts = 0;
  }

  /** The earliest armed deadline, or Infinity. */
  nextDeadline(): number {
    return Math.min(
      this.retransmitHandshakeAt,
      this.sendKeepaliveAt,
      this.newHandshakeAt,
      this.zeroKeyMaterialAt,
      this.persistentKeepaliveAt,
    );
  }

  /** Which deadlines have passed at `now` (TIMER_* flags); those are disarmed. */
  due(now: number): number {
    let flags = 0;
    if (this.zeroKeyMaterialAt <= now) {
      this.zeroKeyMaterialAt = Infinity;
      flags |= TIMER_ZERO_KEY_MATERIAL;
    }
    if (this.retransmitHandshakeAt <= now) {
      this.retransmitHandshakeAt = Infinity;
      flags |= TIMER_RETRANSMIT_HANDSHAKE;
    }
    if (this.sendKeepaliveAt <= now) {
      this.sendKeepaliveAt = Infinity;
      flags |= TIMER_SEND_KEEPALIVE;
    }
    if (this.newHandshakeAt <= now) {
      this.newHandshakeAt = Infinity;
      flags |= TIMER_NEW_HANDSHAKE;
    }
    if (this.persistentKeepaliveAt <= now) {
      this.persistentKeepaliveAt = Infinity;
      flags |= TIMER_PERSISTENT_KEEPALIVE;
    }
    return flags;
  }

  /** Whether the initiator should rekey before sending on a keypair of this age and count. */
  shouldRekeyOnSend(now: number, created: number, sendCounter: number): boolean {
    return sendCounter > this.#t.rekeyAfterMessages || now - created > this.#t.rekeyAfterTime;
  }

  /**
   * Whether the initiator should rekey on receiving under a keypair this old: if it waited for
   * its own next send it might be too late (the peer would already reject the keys).
   */
  shouldRekeyOnReceive(now: number, created: number): boolean {
    return now - created >
      this.#t.rejectAfterTime - this.#t.keepaliveTimeout - this.#t.rekeyTimeout;
  }

  /** Whether a keypair may still seal: not too old, counter not exhausted. */
  canSend(now: number, created: number, sendCounter: number): boolean {
    return now - created < this.#t.rejectAfterTime && sendCounter < this.#t.rejectAfterMessages;
  }

  /** Whether a keypair may still open packets. */
  canReceive(now: number, created: number): boolean {
    return now - created < this.#t.rejectAfterTime;
  }
}
