/**
 * The VPS's path table: per peer, the router's links as learned from authenticated link hellos.
 * A hello is proof that its source endpoint speaks for the peer (the tunnel authenticated it),
 * so every hello creates or moves the path (peer, link id) to where it came from: that follows
 * NAT rebinding. A new epoch (the router restarted) voids the peer's old link ids.
 * Main thread, sans-IO.
 */
import type { LinkHello } from "../bonding/control_frame_types.ts";
import type { Endpoint } from "../protocol/endpoint.ts";

export interface LearnedPath {
  linkId: number;
  name: string;
  /** The router link's source endpoint as seen here (after NAT). */
  endpoint: Endpoint;
  /** Our socket the hellos arrive on (answers and data leave by it). */
  socket: number;
  learnedAt: number;
  lastHelloAt: number;
  hellos: number;
  /** Times the endpoint moved (NAT rebinding, a new address on the link). */
  rebinds: number;
}

/** What a hello changed, for logs and the data path. */
export type HelloOutcome = "new" | "rebound" | "refreshed" | "new-epoch";

interface PeerPaths {
  epoch: number;
  paths: Map<number, LearnedPath>;
}

export class LearnedPaths {
  readonly #peers = new Map<number, PeerPaths>();

  /** A hello from `peer`, on our socket `socket`, from `from` (borrowed: copied if kept). */
  onHello(
    now: number,
    peer: number,
    socket: number,
    from: Endpoint,
    hello: LinkHello,
  ): HelloOutcome {
    const epoch = hello.epoch >>> 0;
    let st = this.#peers.get(peer);
    let outcome: HelloOutcome | undefined;
    if (st === undefined || st.epoch !== epoch) {
      if (st !== undefined) outcome = "new-epoch";
      st = { epoch, paths: new Map() };
      this.#peers.set(peer, st);
    }
    const path = st.paths.get(hello.linkId);
    if (path === undefined) {
      st.paths.set(hello.linkId, {
        linkId: hello.linkId,
        name: hello.name,
        endpoint: from.clone(),
        socket,
        learnedAt: now,
        lastHelloAt: now,
        hellos: 1,
        rebinds: 0,
      });
      return outcome ?? "new";
    }
    path.lastHelloAt = now;
    path.hellos++;
    path.name = hello.name;
    if (path.endpoint.equals(from) && path.socket === socket) return outcome ?? "refreshed";
    path.endpoint.copyFrom(from);
    path.socket = socket;
    path.rebinds++;
    return outcome ?? "rebound";
  }

  /** The paths of `peer`, by link id. */
  paths(peer: number): LearnedPath[] {
    const st = this.#peers.get(peer);
    return st === undefined ? [] : [...st.paths.values()].sort((a, b) => a.linkId - b.linkId);
  }

  /** Removes and returns the paths of `peer` whose last hello came before `before`. */
  forgetSilent(peer: number, before: number): LearnedPath[] {
    const st = this.#peers.get(peer);
    if (st === undefined) return [];
    const gone = [...st.paths.values()].filter((p) => p.lastHelloAt < before);
    for (const p of gone) st.paths.delete(p.linkId);
    return gone;
  }

  /** The most paths any one peer has now (0 without peers). */
  mostPaths(): number {
    let most = 0;
    for (const st of this.#peers.values()) most = Math.max(most, st.paths.size);
    return most;
  }

  /** Forgets a peer's paths (its keys expired: the next session starts over). */
  forget(peer: number): void {
    this.#peers.delete(peer);
  }
}
