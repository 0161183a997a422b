/**
 * The VPS's inbound port forwards, per peer, without any I/O. Each peer's whole set arrives at
 * once (from the VPS's own `peers[].forwards` today, pushed by the router over the control
 * channel later) and replaces that peer's previous set; the table answers which forwards are
 * accepted, which are refused and why, and what changed, so the caller rebuilds the nftables
 * table only when something did.
 *
 * A forward is identified by (proto, public port, address family): one port may DNAT IPv4 to
 * one LAN host and IPv6 to another. Refused: ports 65000-65535 (the VPS's own), a target
 * outside the peer's allowed IPs (it would not be routed to that peer), an IPv6 target that is
 * not global or ULA, and a forward another peer already holds: the earlier holder keeps it, the
 * later one is refused and the refusal is kept for that peer's status.
 */
import type { ForwardConfig, ForwardProto } from "../config/types.ts";
import { RESERVED_PORT_START } from "../config/types.ts";
import type { Cidr } from "../net/cidr.ts";
import { type IpAddress, parseIpAddress } from "../net/ip_address.ts";
import { forwardTargetProblem } from "./forward_target_problem.ts";
import { prefixContains } from "./prefix_contains.ts";

export const RESERVED_PORTS_MESSAGE =
  `${RESERVED_PORT_START}-65535 are reserved for the VPS itself`;

/** A forward the table accepted, with the peer that owns it. */
export interface ActiveForward {
  peer: string;
  proto: ForwardProto;
  port: number;
  family: 4 | 6;
  /** Canonical text of the LAN host's address. */
  target: string;
  targetPort: number;
}

export interface RefusedForward {
  forward: ForwardConfig;
  reason: string;
}

export interface ForwardChange {
  added: ActiveForward[];
  removed: ActiveForward[];
  refused: RefusedForward[];
  /** True when the accepted set changed (the nftables table must be rebuilt). */
  changed: boolean;
}

export interface EdgePeer {
  name: string;
  allowedIps: readonly Cidr[];
}

/** Short text for logs and status: `tcp/8080 -> 192.168.50.2:80`. */
export function describeForward(f: ForwardConfig | ActiveForward): string {
  const host = "to" in f ? f.to.host : f.target;
  const port = "to" in f ? f.to.port : f.targetPort;
  const shown = host.includes(":") ? `[${host}]` : host;
  return `${f.proto}/${f.port} -> ${shown}:${port}`;
}

function slotOf(proto: ForwardProto, port: number, family: 4 | 6): string {
  return `${proto}/${port}/v${family}`;
}

function identity(f: ActiveForward): string {
  return `${slotOf(f.proto, f.port, f.family)}>${f.target}:${f.targetPort}`;
}

export class ForwardTable {
  readonly #peers = new Map<string, EdgePeer>();
  /** Accepted forwards by peer, in the order the peer sent them. */
  readonly #accepted = new Map<string, ActiveForward[]>();
  readonly #refused = new Map<string, RefusedForward[]>();
  /** slot -> peer name holding it. */
  readonly #holders = new Map<string, string>();

  constructor(peers: readonly EdgePeer[]) {
    for (const p of peers) this.#peers.set(p.name, p);
  }

  /** Replaces `peer`'s forwards with `forwards`; sending the same set again changes nothing. */
  set(peerName: string, forwards: readonly ForwardConfig[]): ForwardChange {
    const peer = this.#peers.get(peerName);
    if (peer === undefined) throw new RangeError(`forwards for unknown peer "${peerName}"`);
    const before = this.#accepted.get(peerName) ?? [];
    for (const f of before) this.#holders.delete(slotOf(f.proto, f.port, f.family));

    const accepted: ActiveForward[] = [];
    const refused: RefusedForward[] = [];
    const mine = new Set<string>();
    for (const forward of forwards) {
      const result = this.#check(peer, forward, mine);
      if (typeof result === "string") {
        refused.push({ forward, reason: result });
        continue;
      }
      mine.add(slotOf(result.proto, result.port, result.family));
      accepted.push(result);
    }
    for (const f of accepted) this.#holders.set(slotOf(f.proto, f.port, f.family), peerName);
    this.#accepted.set(peerName, accepted);
    this.#refused.set(peerName, refused);

    const was = new Set(before.map(identity));
    const now = new Set(accepted.map(identity));
    const added = accepted.filter((f) => !was.has(identity(f)));
    const removed = before.filter((f) => !now.has(identity(f)));
    return { added, removed, refused, changed: added.length + removed.length > 0 };
  }

  /** Every accepted forward, peers in the order they were configured. */
  active(): ActiveForward[] {
    return [...this.#peers.keys()].flatMap((name) => this.#accepted.get(name) ?? []);
  }

  /** What the peer's status shows: its accepted forwards and the refused ones with reasons. */
  status(peerName: string): { accepted: ActiveForward[]; refused: RefusedForward[] } {
    return {
      accepted: [...this.#accepted.get(peerName) ?? []],
      refused: [...this.#refused.get(peerName) ?? []],
    };
  }

  #check(peer: EdgePeer, f: ForwardConfig, mine: Set<string>): ActiveForward | string {
    const what = describeForward(f);
    if (!Number.isInteger(f.port) || f.port < 1 || f.port > 65535) {
      return `${what}: port ${f.port} out of range 1-65535`;
    }
    if (f.port >= RESERVED_PORT_START) return `${what}: ports ${RESERVED_PORTS_MESSAGE}`;
    if (!Number.isInteger(f.to.port) || f.to.port < 1 || f.to.port > 65535) {
      return `${what}: target port ${f.to.port} out of range 1-65535`;
    }
    let target: IpAddress;
    try {
      target = parseIpAddress(f.to.host);
    } catch (err) {
      return `${what}: target is not an IP address (${(err as Error).message})`;
    }
    const bad = forwardTargetProblem(target);
    if (bad !== undefined) return `${what}: ${bad}`;
    if (!peer.allowedIps.some((c) => prefixContains(c, target.family, target.address))) {
      return `${what}: ${target.text} is not inside the allowed_ips of peer "${peer.name}", ` +
        `so it is not routed to it`;
    }
    const slot = slotOf(f.proto, f.port, target.family);
    if (mine.has(slot)) {
      return `${what}: ${f.proto}/${f.port} (IPv${target.family}) is listed twice`;
    }
    const holder = this.#holders.get(slot);
    if (holder !== undefined) {
      return `${what}: ${f.proto}/${f.port} (IPv${target.family}) is already forwarded ` +
        `to peer "${holder}"`;
    }
    return {
      peer: peer.name,
      proto: f.proto,
      port: f.port,
      family: target.family,
      target: target.text,
      targetPort: f.to.port,
    };
  }
}
