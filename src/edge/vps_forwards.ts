/**
 * The VPS's forwards over its whole run, sans-IO: one long-lived forward table fed from two
 * sources per peer, its static `peers[].forwards` (the configuration file, replaced on reload)
 * and the set its router pushed over the control channel. A peer's forwards are both lists,
 * static first; the table keeps, across updates, who holds a port first, so a later peer's
 * colliding forward is the one refused whatever order the updates come in.
 */
import type { ForwardConfig } from "../config/types.ts";
import {
  type ActiveForward,
  describeForward,
  type EdgePeer,
  type ForwardChange,
  ForwardTable,
  type RefusedForward,
} from "./forward_table.ts";

/** One of a peer's forwards as status shows it. */
export interface PeerForwardRow {
  peer: string;
  proto: ForwardConfig["proto"];
  port: number;
  /** The LAN host and port, `192.168.50.2:80` or `[fd00::2]:80`. */
  to: string;
  /** "pushed" or "static" and accepted (in the nftables table), or "refused" with `reason`. */
  state: "pushed" | "static" | "refused";
  reason: string | null;
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export class VpsForwards {
  readonly #table: ForwardTable;
  readonly #static = new Map<string, readonly ForwardConfig[]>();
  readonly #pushed = new Map<string, readonly ForwardConfig[]>();

  constructor(peers: readonly (EdgePeer & { forwards: readonly ForwardConfig[] })[]) {
    this.#table = new ForwardTable(peers);
    for (const p of peers) this.#static.set(p.name, p.forwards);
  }

  /** Every peer's static forwards into the table (at start). */
  loadStatic(): { peer: string; refused: RefusedForward[]; changed: boolean }[] {
    return [...this.#static.keys()].map((peer) => ({ peer, ...this.#update(peer) }));
  }

  /** The peer's static forwards after a reload. */
  setStatic(peer: string, forwards: readonly ForwardConfig[]): ForwardChange {
    this.#static.set(peer, forwards);
    return this.#update(peer);
  }

  /** The set the peer's router pushed (replacing the one it pushed before). */
  setPushed(peer: string, forwards: readonly ForwardConfig[]): ForwardChange {
    this.#pushed.set(peer, forwards);
    return this.#update(peer);
  }

  active(): ActiveForward[] {
    return this.#table.active();
  }

  /** Every peer's accepted then refused forwards, peers in configuration order. */
  rows(): PeerForwardRow[] {
    return [...this.#static.keys()].flatMap((peer) => {
      const s = this.#table.status(peer);
      const fixed = new Set((this.#static.get(peer) ?? []).map((f) => describeForward(f)));
      return [
        ...s.accepted.map((f): PeerForwardRow => ({
          peer,
          proto: f.proto,
          port: f.port,
          to: hostPort(f.target, f.targetPort),
          state: fixed.has(describeForward(f)) ? "static" : "pushed",
          reason: null,
        })),
        ...s.refused.map(({ forward: f, reason }): PeerForwardRow => ({
          peer,
          proto: f.proto,
          port: f.port,
          to: hostPort(f.to.host, f.to.port),
          state: "refused",
          reason,
        })),
      ];
    });
  }

  #update(peer: string): ForwardChange {
    return this.#table.set(peer, [
      ...this.#static.get(peer) ?? [],
      ...this.#pushed.get(peer) ?? [],
    ]);
  }
}
