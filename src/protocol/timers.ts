/**
 * The per-peer protocol timers (whitepaper section 6) as deadlines. No clock is read here: every
 * function takes `now` (monotonic milliseconds).
 *
 * Two timers belong to the control plane alone and are plain deadlines here:
 * - retransmitHandshake: resend an unanswered initiation (REKEY_TIMEOUT + jitter).
 * - zeroKeyMaterial: 3 x REJECT_AFTER_TIME after the last session was derived, wipe all keys.
 * Three are armed and disarmed by the packet paths, which may run on other threads, so their
 * state lives in the peer's PeerActivity and the deadlines are computed from it:
 * - sendKeepalive: we received data and sent nothing back for KEEPALIVE_TIMEOUT: send an empty
 *   packet so the peer knows the session is alive (passive keepalive).
 * - newHandshake: we sent data and got nothing back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT:
 *   the session may be dead, start a new handshake.
 * - persistentKeepalive: the user asked for a packet at least every N seconds (NAT mappings),
 *   counted from the latest authenticated packet either way.
 */
import type { PeerActivity } from "./peer_activity.ts";
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
  zeroKeyMaterialAt = Infinity;
  /** Retransmissions of the current handshake so far. */
  handshakeAttempts = 0;
  /** Persistent keepalive interval in ms; 0 = off. */
  readonly persistentKeepaliveInterval: number;
  readonly activity: PeerActivity;
  readonly #t: ProtocolTimers;
  /** The traversal time the persistent keepalive last fired for: it fires once per quiet spell. */
  #persistentFiredFor = -Infinity;

  constructor(timers: ProtocolTimers, persistentKeepaliveInterval: number, activity: PeerActivity) {
    this.#t = timers;
    this.persistentKeepaliveInterval = persistentKeepaliveInterval;
    this.activity = activity;
  }

  /** Retransmissions allowed before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
  get maxHandshakeAttempts(): number {
    return Math.ceil(this.#t.rekeyAttemptTime / Math.max(1, this.#t.rekeyTimeout));
  }

  /** When the passive keepalive is due, Infinity if not armed. */
  get sendKeepaliveAt(): number {
    return this.activity.keepaliveArmedAt + this.#t.keepaliveTimeout;
  }

  /** When the "sent data, got no reply" handshake is due, Infinity if not armed. */
  get newHandshakeAt(): number {
    return this.activity.newHandshakeArmedAt + this.#t.keepaliveTimeout + this.#t.rekeyTimeout;
  }

  /** When the persistent keepalive is due, Infinity if off or already fired for this spell. */
  get persistentKeepaliveAt(): number {
    if (this.persistentKeepaliveInterval <= 0) return Infinity;
    const last = this.activity.lastTraversal;
    return last > this.#persistentFiredFor ? last + this.persistentKeepaliveInterval : Infinity;
  }

  /** After a passive keepalive went out while more data had arrived: schedule another. */
  rearmKeepaliveIfNeeded(now: number): void {
    if (this.activity.takeAnotherKeepalive()) this.activity.armKeepalive(now);
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
    this.activity.disarmKeepalive();
    if (this.zeroKeyMaterialAt === Infinity) {
      this.zeroKeyMaterialAt = now + 3 * this.#t.rejectAfterTime;
    }
  }

  /** All timers off (shutdown). */
  stopAll(): void {
    this.retransmitHandshakeAt = Infinity;
    this.zeroKeyMaterialAt = Infinity;
    this.activity.disarmKeepalive();
    this.activity.takeAnotherKeepalive();
    this.activity.disarmNewHandshake();
    this.#persistentFiredFor = Infinity;
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
      this.activity.disarmKeepalive();
      flags |= TIMER_SEND_KEEPALIVE;
    }
    if (this.newHandshakeAt <= now) {
      this.activity.disarmNewHandshake();
      flags |= TIMER_NEW_HANDSHAKE;
    }
    if (this.persistentKeepaliveAt <= now) {
      this.#persistentFiredFor = this.activity.lastTraversal;
      flags |= TIMER_PERSISTENT_KEEPALIVE;
    }
    return flags;
  }
}
