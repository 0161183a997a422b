/**
 * The router's side of link discovery: link hellos on each of its links, so the peer learns
 * every path (its source endpoint after NAT) and proves by its acks that it bonds.
 *
 * A peer that never answers is a stock WireGuard peer: it must see plain WireGuard. So until a
 * first ack, hellos go only on the first link (the one that already carries the handshakes and
 * the data, so a stock peer that roams on any authenticated packet stays where it is), a few
 * times per session; after an ack, every link says hello every HELLO_INTERVAL_MS.
 * Main thread, sans-IO: `now` and a send function come in.
 */
import type { LinkHello, LinkHelloAck } from "../bonding/control_frame_types.ts";
import type { Endpoint } from "../protocol/endpoint.ts";

/** Hellos on every link of a bonding peer: refreshes NAT bindings and the peer's path table. */
export const HELLO_INTERVAL_MS = 2000;
/** Retry spacing of the first hellos, before the peer has answered any. */
export const HELLO_RETRY_MS = 1000;
/** Unanswered hellos per session after which the peer is taken for stock WireGuard. */
export const HELLOS_BEFORE_STOCK = 5;

/** What the router needs to know of a peer each tick. */
export interface HelloPeer {
  index: number;
  endpoint: Endpoint | undefined;
  /** The same peer's endpoint of the other family, for links that cannot reach `endpoint`. */
  alternate?: Endpoint;
  /** `now` of the last completed handshake; undefined while there is none. */
  handshakeAt: number | undefined;
}

/** One link as the hello machinery sees it. */
export interface HelloLink {
  name: string;
  /** Socket index per family (the link has no socket of a family it cannot reach). */
  socket: { 4?: number; 6?: number };
  /** The configured download rate, kbit/s (0: not configured), told to the peer. */
  downKbps: number;
}

/**
 * How link `link` reaches a peer: from its socket of the endpoint's family, or else from its
 * socket of the alternate endpoint's family (an IPv6-only link towards a VPS dialled over
 * IPv4). Undefined: it cannot reach the peer at all.
 */
export function linkRoute(
  link: HelloLink,
  endpoint: Endpoint,
  alternate: Endpoint | undefined,
): { socket: number; to: Endpoint; alternate: boolean } | undefined {
  const socket = link.socket[endpoint.family];
  if (socket !== undefined) return { socket, to: endpoint, alternate: false };
  const other = alternate === undefined ? undefined : link.socket[alternate.family];
  return other === undefined ? undefined : { socket: other, to: alternate!, alternate: true };
}

export type SendFrame = (peer: number, socket: number, to: Endpoint, frame: LinkHello) => boolean;

/** Per peer and link: what the acks told us. */
export interface LinkAckState {
  hellosSent: number;
  acks: number;
  lastAckAt: number | undefined;
  /** The link's public endpoint as the peer sees it ("203.0.113.7:40001"). */
  observed: string | undefined;
}

interface PeerHellos {
  /** The handshake this session's unanswered count belongs to. */
  session: number | undefined;
  unanswered: number;
  bonding: boolean;
  nextHelloAt: number;
  links: LinkAckState[];
}

export class RouterLinks {
  /** Random per start: tells the peer that link ids of an earlier run are void. */
  readonly epoch: number;
  /** By link id (the peer's path id); undefined where no link has that id. */
  readonly #links: (HelloLink | undefined)[] = [];
  /** Link ids in configuration order: the first carries the hellos of a peer not yet bonding. */
  #order: number[] = [];
  readonly #send: SendFrame;
  readonly #peers = new Map<number, PeerHellos>();

  /** `links` get ids 0, 1, ... in their order; `setLink` and `removeLink` change them later. */
  constructor(links: readonly HelloLink[], epoch: number, send: SendFrame) {
    this.epoch = epoch >>> 0;
    this.#send = send;
    links.forEach((l, id) => this.setLink(id, l));
  }

  /** Link ids in configuration order. */
  get order(): readonly number[] {
    return this.#order;
  }

  link(id: number): HelloLink | undefined {
    return this.#links[id];
  }

  /**
   * Link `id` exists from now on (appended to the order), or changes its socket or rate. A new
   * link starts with a clean ack state: the peer answers its hellos like any other's.
   */
  setLink(id: number, link: HelloLink): void {
    const known = this.#links[id] !== undefined;
    this.#links[id] = link;
    if (known) return;
    this.#order = [...this.#order, id];
    for (const st of this.#peers.values()) st.links[id] = newAckState();
  }

  /** Link `id` is gone: no more hellos on it, its acks no longer count. */
  removeLink(id: number): void {
    if (this.#links[id] === undefined) return;
    this.#links[id] = undefined;
    this.#order = this.#order.filter((i) => i !== id);
  }

  /** Sends the hellos that are due. */
  tick(now: number, peers: readonly HelloPeer[]): void {
    for (const p of peers) {
      if (p.endpoint === undefined || p.handshakeAt === undefined) continue;
      const st = this.#state(p.index);
      if (st.session !== p.handshakeAt && !st.bonding) {
        // A new session of a peer not (yet) known to bond: it gets a few more chances.
        st.session = p.handshakeAt;
        st.unanswered = 0;
        st.nextHelloAt = now;
      }
      if (now < st.nextHelloAt) continue;
      if (!st.bonding && st.unanswered >= HELLOS_BEFORE_STOCK) continue;
      const upTo = st.bonding ? this.#order.length : Math.min(1, this.#order.length);
      let sent = false;
      for (let k = 0; k < upTo; k++) {
        const id = this.#order[k];
        const link = this.#links[id]!;
        const route = linkRoute(link, p.endpoint, p.alternate);
        if (route === undefined) continue;
        const hello: LinkHello = {
          type: "link-hello",
          epoch: this.epoch,
          linkId: id,
          name: link.name,
          downKbps: link.downKbps,
        };
        if (this.#send(p.index, route.socket, route.to, hello)) {
          st.links[id].hellosSent++;
          sent = true;
        }
      }
      if (sent && !st.bonding) st.unanswered++;
      st.nextHelloAt = now + (st.bonding ? HELLO_INTERVAL_MS : HELLO_RETRY_MS);
    }
  }

  /** An ack from `peer`: the peer bonds; the link's public endpoint is recorded. */
  onAck(now: number, peer: number, ack: LinkHelloAck): boolean {
    if ((ack.epoch >>> 0) !== this.epoch || this.#links[ack.linkId] === undefined) return false;
    const st = this.#state(peer);
    const link = st.links[ack.linkId];
    link.acks++;
    link.lastAckAt = now;
    link.observed = ack.observed.toString();
    if (!st.bonding) {
      st.bonding = true;
      // Every other link says hello now, not at the next interval.
      st.nextHelloAt = now;
    }
    return true;
  }

  /** Whether `peer` has answered a hello (so it bonds). */
  bonding(peer: number): boolean {
    return this.#peers.get(peer)?.bonding ?? false;
  }

  /** Whether `peer` left this session's hellos unanswered: a stock WireGuard peer. */
  stock(peer: number): boolean {
    const st = this.#peers.get(peer);
    return st !== undefined && !st.bonding && st.unanswered >= HELLOS_BEFORE_STOCK;
  }

  /** The ack state of each link towards `peer`, by link id (for status). */
  linkStates(peer: number): readonly LinkAckState[] {
    return this.#state(peer).links;
  }

  #state(peer: number): PeerHellos {
    let st = this.#peers.get(peer);
    if (st === undefined) {
      st = {
        session: undefined,
        unanswered: 0,
        bonding: false,
        nextHelloAt: -Infinity,
        links: Array.from({ length: this.#links.length }, newAckState),
      };
      this.#peers.set(peer, st);
    }
    return st;
  }
}

function newAckState(): LinkAckState {
  return { hellosSent: 0, acks: 0, lastAckAt: undefined, observed: undefined };
}
