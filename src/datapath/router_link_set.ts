/**
 * The router's links as the bonding plane keeps them, on the main thread: each link's id (the
 * path id its peer learns, link_ids.ts), its settings (weight, rate seeds), its sockets and
 * hellos (router_links.ts), the state shown in status, and the sockets of removed links that
 * still drain. Links come and go with reloads; a removed link's sockets no longer answer probes
 * (so the peer finds that path down), until the data path released them.
 */
import { log } from "../log.ts";
import type { LinkHelloAck } from "../bonding/control_frame_types.ts";
import { pathStateName } from "../bonding/path_health.ts";
import { LinkIds } from "./link_ids.ts";
import type { DataPathLink, LinkStatus } from "./messages.ts";
import type { MonitoredPath } from "./peer_path_monitor.ts";
import {
  HELLO_INTERVAL_MS,
  type HelloLink,
  type HelloPeer,
  RouterLinks,
  type SendFrame,
} from "./router_links.ts";
import type { SocketTraffic } from "./socket_traffic.ts";

/** A path or link without a hello (VPS) or ack (router) for this long is "silent". */
export const LINK_SILENT_MS = 3 * HELLO_INTERVAL_MS + 1000;

/** A link's socket slot per address family. */
export type LinkSockets = { 4?: number; 6?: number };

export class RouterLinkSet {
  readonly #hellos: RouterLinks;
  readonly #ids: LinkIds;
  readonly #capacity: number;
  /** By link id: settings, and the state last shown (and since when). */
  readonly #settings: (DataPathLink | undefined)[] = [];
  readonly #shown: { state: string; since: number | undefined }[] = [];
  /** Sockets of removed links, draining: they no longer answer probes. */
  readonly #removedSockets = new Set<number>();

  /** `links` get ids 0, 1, ... with `sockets[i]` each. */
  constructor(
    links: readonly DataPathLink[],
    sockets: readonly LinkSockets[],
    capacity: number,
    epoch: number,
    send: SendFrame,
  ) {
    this.#capacity = capacity;
    this.#ids = new LinkIds(capacity, links.map((l) => l.name));
    this.#hellos = new RouterLinks([], epoch, send);
    links.forEach((l, id) => this.#put(id, l, sockets[id] ?? {}));
  }

  /** Link ids in configuration order. */
  get order(): readonly number[] {
    return this.#hellos.order;
  }

  link(id: number): HelloLink | undefined {
    return this.#hellos.link(id);
  }

  settings(id: number): DataPathLink | undefined {
    return this.#settings[id];
  }

  /** Throws, with the reason, when link `name` could not be added now. */
  checkRoom(name: string): void {
    if (this.#ids.of(name) !== undefined) throw new Error(`link ${name} is running already`);
    if (this.#ids.full) throw new RangeError(`at most ${this.#capacity} links run at once`);
  }

  /** A link added at run time; returns its id (throws as `checkRoom` says). */
  add(link: DataPathLink, sockets: LinkSockets): number {
    const id = this.#ids.assign(link.name);
    this.#put(id, link, sockets);
    return id;
  }

  /**
   * Link `name` is gone: no more hellos, its sockets answer no more probes. Returns its id and
   * socket slots, or undefined if there is no such link.
   */
  remove(name: string): { id: number; slots: number[] } | undefined {
    const id = this.#ids.release(name);
    const link = id === undefined ? undefined : this.#hellos.link(id);
    if (id === undefined || link === undefined) return undefined;
    this.#hellos.removeLink(id);
    this.#settings[id] = undefined;
    this.#shown[id] = { state: "configured", since: undefined };
    const slots = [link.socket[4], link.socket[6]].filter((s): s is number => s !== undefined);
    for (const slot of slots) this.#removedSockets.add(slot);
    return { id, slots };
  }

  /** New weight and rate seeds of link `link.name`; returns its id (undefined: no such link). */
  update(link: DataPathLink): number | undefined {
    const id = this.#ids.of(link.name);
    const hello = id === undefined ? undefined : this.#hellos.link(id);
    if (id === undefined || hello === undefined) return undefined;
    this.#settings[id] = link;
    this.#hellos.setLink(id, { ...hello, downKbps: kbpsOf(link.downMbps) });
    return id;
  }

  /** Whether `slot` belongs to a removed link that still drains. */
  removedSocket(slot: number): boolean {
    return this.#removedSockets.has(slot);
  }

  /** The data path let go of `slot` (it may be reused). */
  socketReleased(slot: number): void {
    this.#removedSockets.delete(slot);
  }

  /** Sends the hellos that are due. */
  tick(now: number, peers: readonly HelloPeer[]): void {
    this.#hellos.tick(now, peers);
  }

  onAck(now: number, peer: number, ack: LinkHelloAck): boolean {
    return this.#hellos.onAck(now, peer, ack);
  }

  /**
   * Each link's state towards `peer` (hello states; a path's health once it is one), logged
   * when it changes.
   */
  refreshStates(now: number, peer: number): void {
    const acks = this.#hellos.linkStates(peer);
    const bonding = this.#hellos.bonding(peer);
    const stock = this.#hellos.stock(peer);
    this.order.forEach((id, position) => {
      const a = acks[id];
      let state: string;
      if (bonding) {
        if (a.lastAckAt !== undefined && now - a.lastAckAt <= LINK_SILENT_MS) state = "up";
        else state = a.acks > 0 ? "silent" : "waiting";
      } else if (stock) state = position === 0 ? "single" : "unused";
      else state = a.hellosSent > 0 ? "waiting" : "configured";
      const shown = this.#shown[id];
      if (shown.state !== state) {
        if (shown.since !== undefined || state !== "configured") {
          log("info", "bonding", `link ${this.link(id)!.name}: ${state}`);
        }
        shown.state = state;
        shown.since = now;
      }
    });
  }

  /** Status rows towards `peer`, in configuration order; `pathOf(id)` is the path, if bonded. */
  status(
    now: number,
    peer: number,
    pathOf: (id: number) => MonitoredPath | undefined,
    traffic: SocketTraffic,
  ): LinkStatus[] {
    this.refreshStates(now, peer);
    const acks = this.#hellos.linkStates(peer);
    return this.order.map((id) => {
      const l = this.link(id)!;
      const sockets = [l.socket[4], l.socket[6]].filter((s): s is number => s !== undefined);
      const counts = sockets.map((s) => traffic.read(s));
      const sum = (f: (t: (typeof counts)[number]) => number) =>
        counts.reduce((a, t) => a + f(t), 0);
      const { state, since } = this.#shown[id];
      const path = pathOf(id);
      const h = path?.health;
      return {
        name: l.name,
        state: h ? pathStateName(h.state) : state,
        stateAgeMs: path ? now - path.since : since === undefined ? undefined : now - since,
        observed: acks[id].observed,
        rttMs: h && h.rtt.samples > 0 ? h.rtt.srtt : undefined,
        jitterMs: h && h.rtt.samples > 0 ? h.rtt.rttvar : undefined,
        loss: h ? h.loss.rate(now) : undefined,
        rateUpMbps: h ? (h.rate.rate * 8) / 1e6 : undefined,
        txBytes: sum((t) => t.sentBytes),
        rxBytes: sum((t) => t.receivedBytes),
        txDatagrams: sum((t) => t.sentDatagrams),
        rxDatagrams: sum((t) => t.receivedDatagrams),
      };
    });
  }

  /** Whether `peer` answered a hello (so it bonds). */
  bonding(peer: number): boolean {
    return this.#hellos.bonding(peer);
  }

  #put(id: number, link: DataPathLink, sockets: LinkSockets): void {
    this.#settings[id] = link;
    this.#shown[id] = { state: "configured", since: undefined };
    this.#hellos.setLink(id, { name: link.name, socket: sockets, downKbps: kbpsOf(link.downMbps) });
  }
}

/** A link's download rate in kbit/s for its hellos (0: not configured). */
function kbpsOf(mbps: number | undefined): number {
  return Math.round((mbps ?? 0) * 1000);
}
