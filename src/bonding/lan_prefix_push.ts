/**
 * Delivery of the routed IPv6 prefix over the control channel, sans-IO.
 *
 * VPS (`LanPrefixPush`): each bonding peer is told its /64 of `nat.ipv6_prefix` (or "none",
 * so a router whose VPS dropped the prefix stops announcing a dead one) once it bonds, and
 * again every LAN_PREFIX_RESEND_MS until the router echoes it; a new session starts over (a
 * restarted router has forgotten it). The caller only ever asks for peers that answered a link
 * hello: a stock WireGuard peer never gets a control frame.
 *
 * Router (`LanPrefixReceiver`): every lan-prefix frame is acked with its own prefix; only a
 * prefix different from the last one is news for the LAN side.
 */
import type { LanPrefix, LanPrefixAck, WirePrefix } from "./control_frame_types.ts";

export const LAN_PREFIX_RESEND_MS = 30_000;

/** "No prefix" on the wire. */
export const NO_PREFIX: WirePrefix = { address: new Uint8Array(16), prefixLength: 0 };

export function samePrefix(a: WirePrefix, b: WirePrefix): boolean {
  return a.prefixLength === b.prefixLength && a.address.every((v, i) => v === b.address[i]);
}

interface PeerState {
  session: number | undefined;
  acked: boolean;
  nextSendAt: number;
}

export class LanPrefixPush {
  readonly #prefixes: readonly WirePrefix[];
  readonly #peers = new Map<number, PeerState>();

  /** `prefixes[i]`: peer i's prefix, null for none. */
  constructor(prefixes: readonly (WirePrefix | null)[]) {
    this.#prefixes = prefixes.map((p) => p ?? NO_PREFIX);
  }

  /**
   * The frame to send `peer` now, or undefined. `session` identifies the peer's current
   * handshake: a different one than last time means the peer may have restarted, so send again.
   */
  due(now: number, peer: number, session: number | undefined): LanPrefix | undefined {
    const prefix = this.#prefixes[peer];
    if (prefix === undefined) return undefined;
    let s = this.#peers.get(peer);
    if (s === undefined || s.session !== session) {
      s = { session, acked: false, nextSendAt: now };
      this.#peers.set(peer, s);
    }
    if (s.acked || now < s.nextSendAt) return undefined;
    s.nextSendAt = now + LAN_PREFIX_RESEND_MS;
    return { type: "lan-prefix", address: prefix.address, prefixLength: prefix.prefixLength };
  }

  /** The router echoed a prefix: resends stop if it is the current one. */
  onAck(peer: number, ack: WirePrefix): boolean {
    const prefix = this.#prefixes[peer];
    const s = this.#peers.get(peer);
    if (prefix === undefined || s === undefined || !samePrefix(prefix, ack)) return false;
    s.acked = true;
    return true;
  }

  acked(peer: number): boolean {
    return this.#peers.get(peer)?.acked ?? false;
  }
}

export class LanPrefixReceiver {
  #current: WirePrefix | undefined;

  /** The ack to send, and the prefix (null: none) when it differs from the last one. */
  onPrefix(frame: WirePrefix): { ack: LanPrefixAck; changed?: WirePrefix | null } {
    const prefix = { address: frame.address.slice(), prefixLength: frame.prefixLength };
    const ack: LanPrefixAck = { type: "lan-prefix-ack", ...prefix };
    if (this.#current !== undefined && samePrefix(this.#current, prefix)) return { ack };
    const first = this.#current === undefined;
    this.#current = prefix;
    // The first "none" is no news: nothing was applied yet.
    if (prefix.prefixLength === 0) return first ? { ack } : { ack, changed: null };
    return { ack, changed: prefix };
  }
}
