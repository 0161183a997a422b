/**
 * The bonding layer's main-thread half: it speaks the control frames (src/bonding/) over the
 * data path. The RX Worker hands it every authenticated control frame with the socket and the
 * source it came from; it answers on that same path through the TX Worker.
 *
 * Router: its links (router_link_set.ts: ids, sockets, settings, status) say hello
 * (router_links.ts), acks record each link's public endpoint; the first ack makes the peer
 * bonded: every link becomes a path. Reloads add, remove and retune links here.
 * VPS: hellos build the per-peer path table (learned_paths.ts), each answered with an ack on
 * the path it came from; the first makes the peer bonded, each one adds or moves a path.
 * Both: a bonded peer's paths are monitored (peer_path_monitor.ts: probes, echoes, receive
 * reports, health into the TX Worker's path table, reorder settings into the RX Worker's);
 * probes are echoed at once on their path. A peer that never bonds stays plain WireGuard.
 * Forward sync: the router sends its `forwards:` to a bonded peer (forward_push_sender.ts)
 * until acked; the VPS gathers them (forward_push_receiver.ts), hands them to `onForwards` and
 * acks once they are applied, naming what it refused. A stock peer never answers a hello,
 * so never gets one.
 * LAN prefix: the VPS tells each bonded peer its routed /64 (lan_prefix_push.ts) until the
 * router echoes it; the router hands changes to `wantLanPrefix`'s handler.
 * Garbage is counted and dropped; nothing here throws on what a peer sends.
 */
import { decodeControlFrame, encodeControlFrame } from "../bonding/control_frames.ts";
import {
  type ControlFrame,
  type ForwardEntry,
  type ForwardRefusal,
  type ForwardSync,
  MAX_CONTROL_FRAME,
  type WirePrefix,
} from "../bonding/control_frame_types.ts";
import { ForwardPushSender } from "../bonding/forward_push_sender.ts";
import { ForwardPushReceiver } from "../bonding/forward_push_receiver.ts";
import { forwardAckFrames } from "../bonding/forward_push_ack.ts";
import { LanPrefixPush, LanPrefixReceiver } from "../bonding/lan_prefix_push.ts";
import { log } from "../log.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import type { ControlPlane } from "./control_plane.ts";
import { LearnedPaths } from "./learned_paths.ts";
import type { DataPathLink, DataPathOptions, LinkStatus, PathStatus } from "./messages.ts";
import { PATHS_PER_PEER } from "./bonded_sender.ts";
import { PeerPathMonitor } from "./peer_path_monitor.ts";
import { PATH_DOWN, pathStateName } from "../bonding/path_health.ts";
import type { SchedulerMode } from "../bonding/scheduler.ts";
import type { PathCapacity } from "../mptcp/subflow_windows.ts";
import { HELLO_INTERVAL_MS, linkRoute } from "./router_links.ts";
import { LINK_SILENT_MS, type LinkSockets, RouterLinkSet } from "./router_link_set.ts";
import type { SocketTraffic } from "./socket_traffic.ts";
import type { SocketSlots } from "./socket_slots.ts";

/** VPS: a router path silent this long is forgotten (its status row goes). */
export const PATH_FORGET_MS = 60_000;
/** How often probes, hellos and reports are considered (probes go every 50 ms when idle). */
export const BONDING_TICK_MS = 10;

/** The router's only peer: its links are towards it. */
const ROUTER_PEER = 0;

export function newBondingCounters() {
  return {
    controlFramesBad: 0,
    controlFramesUnhandled: 0,
    linkHellosReceived: 0,
    linkHelloAcksSent: 0,
    linkHelloAcksReceived: 0,
    linkHelloAcksStale: 0,
    pathsLearned: 0,
    pathRebinds: 0,
    probeEchoesSent: 0,
    probeEchoesRejected: 0,
    receiveReportsReceived: 0,
    /** Reports that arrived after a newer one (overtaken on a faster path), ignored. */
    receiveReportsLate: 0,
    /**
     * Reports that came by no path the RX Worker knows (a path learned after they left): while
     * reports are overdue, each busy path is then judged as one that did not carry them.
     */
    receiveReportsPathUnknown: 0,
    /**
     * Health ticks that came 50 ms or more after the one before (the main thread was blocked)
     * and so judged no path: the frames that came meanwhile were still queued.
     */
    healthTicksDeferred: 0,
    /** Hellos naming a link id beyond the paths a peer may have. */
    linkIdsUnsupported: 0,
    bondedPeers: 0,
    forwardSyncsSent: 0,
    forwardAcksReceived: 0,
    forwardSyncsReceived: 0,
    forwardAcksSent: 0,
    /** Probes that came in on the socket of a link being removed: left unanswered. */
    probesOnRemovedLinks: 0,
    /** TCP split offers sent (VPS, with hello-acks) and received (router). */
    splitOffersSent: 0,
    splitOffersReceived: 0,
  };
}

/** A path of bonding peer `peer` changed state (path_health.ts's names: up, degraded, down). */
export interface PeerPathChange {
  peer: number;
  path: number;
  /** The path's (link's) name. */
  name: string;
  state: string;
}

/** A bonding peer's paths, for the TCP split's subflow windows. */
export interface SplitPeerPaths {
  peer: number;
  allowedIps: readonly string[];
  paths: (PathCapacity | undefined)[];
}

export class BondingPlane {
  readonly counters = newBondingCounters();
  readonly #plane: ControlPlane;
  readonly #traffic: SocketTraffic;
  readonly #slots: SocketSlots;
  /** Router: its links (ids, sockets, hellos, status); undefined on a VPS. */
  readonly #router: RouterLinkSet | undefined;
  /** Router: whether hellos run (several links, or forwards to push). */
  #hellos = false;
  readonly #epoch: number;
  /** Router: per peer, its endpoint of the other family (links of that family go there). */
  readonly #alternates: (Endpoint | undefined)[];
  /** Router: its forwards for the peer; undefined until the daemon gives them. */
  #pusher: ForwardPushSender | undefined;
  /** Router: the peer's handshake the forwards were last (re)sent under. */
  #pushSession: number | undefined;
  readonly #gatherer = new ForwardPushReceiver();
  /**
   * VPS: applies a peer's pushed forwards; the peer is acked when the promise settles.
   * Without it, forward syncs are counted as unhandled and never acked.
   */
  onForwards:
    | ((peer: number, forwards: ForwardEntry[]) => Promise<ForwardRefusal[] | void>)
    | undefined;
  /** VPS: each peer's routed LAN prefix, sent to the bonded ones; undefined until given. */
  #lanPush: LanPrefixPush | undefined;
  /** Router: the LAN prefix from the VPS; changes go to `#onLanPrefix`. */
  readonly #lanReceiver = new LanPrefixReceiver();
  #onLanPrefix: ((prefix: WirePrefix | null) => void) | undefined;
  /** VPS: the TCP split listener offered with every hello-ack; undefined when not serving. */
  #splitOffer: Endpoint | undefined;
  /** Router: hears the VPS's TCP split listener from each offer. */
  onSplitOffer: ((listener: Endpoint) => void) | undefined;
  /** Hears every path state change (the TCP split closes a dead path's subflows). */
  onPathChange: ((change: PeerPathChange) => void) | undefined;
  readonly #learned: LearnedPaths | undefined;
  readonly #scratch = new Uint8Array(MAX_CONTROL_FRAME);
  #mode: SchedulerMode;
  readonly #monitors = new Map<number, PeerPathMonitor>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #nextForgetCheck = 0;

  constructor(
    opts: DataPathOptions,
    plane: ControlPlane,
    traffic: SocketTraffic,
    epoch: number,
    slots: SocketSlots,
  ) {
    this.#plane = plane;
    this.#traffic = traffic;
    this.#slots = slots;
    this.#mode = opts.schedulerMode ?? "aggregate";
    this.#alternates = opts.peers.map((p) =>
      p.alternateEndpoint === undefined ? undefined : Endpoint.parse(p.alternateEndpoint)
    );
    const links = opts.links ?? [];
    this.#epoch = epoch;
    if (links.length > 0) {
      // At start, link i has id i and the sockets that name it.
      const sockets = links.map((_, id) => {
        const own: LinkSockets = {};
        opts.sockets.forEach((s, slot) => {
          if (s.link === id && own[s.family] === undefined) own[s.family] = slot;
        });
        return own;
      });
      this.#router = new RouterLinkSet(links, sockets, PATHS_PER_PEER, epoch, (p, sock, to, h) => {
        this.#send(p, -1, sock, to, h);
        return true;
      });
    }
    // One link: nothing to spread over, so no hellos and no bonding, plain WireGuard on it,
    // unless it has forwards to push (setForwards): only a hello finds out whether the peer
    // bonds and so can take them.
    if (links.length > 1) this.#startHellos();
    else if (links.length === 0) this.#learned = new LearnedPaths();
    plane.onControl = (peer, socket, from, path, payload) =>
      this.#receive(plane.now(), peer, socket, from, path, payload);
  }

  /**
   * Router: its forwards, at start and after each reload; sent to the peer once it bonds and
   * whenever they change. The first non-empty set on a single link starts its hellos.
   */
  setForwards(forwards: ForwardEntry[]): void {
    if (this.#learned !== undefined) return;
    // An empty set is pushed too (where hellos run): it clears what an earlier run pushed.
    this.#pusher ??= new ForwardPushSender(this.#epoch);
    if (this.#pusher.set(forwards)) {
      log("info", "bonding", `forwards: ${forwards.length} to push`, {
        generation: this.#pusher.generation,
      });
    }
    if (forwards.length > 0) this.#startHellos();
  }

  /**
   * Router: a link added by a reload, with the socket slot of each family it has. Returns its
   * link id. It says hello at once if the peer bonds (then it is a path, admitted by probes).
   */
  addLink(link: DataPathLink, sockets: LinkSockets): number {
    if (this.#router === undefined) throw new Error("a VPS has no links of its own");
    const id = this.#router.add(link, sockets);
    const monitor = this.#monitors.get(ROUTER_PEER);
    if (monitor !== undefined) this.#addRouterPath(this.#plane.now(), monitor, id);
    if (this.#router.order.length > 1) this.#startHellos();
    return id;
  }

  /** Throws, with the reason, when link `name` could not be added now. */
  checkLinkRoom(name: string): void {
    if (this.#router === undefined) throw new Error("a VPS has no links of its own");
    this.#router.checkRoom(name);
  }

  /**
   * Router: link `name` is removed. At once it stops carrying data, hellos and probe answers
   * (the peer's probes then find the path down, as when a cable is pulled); its sockets keep
   * receiving until the caller releases them, so what is in flight still arrives.
   * Returns the socket slots it had.
   */
  removeLink(name: string): number[] {
    const removed = this.#router?.remove(name);
    if (removed === undefined) return [];
    const monitor = this.#monitors.get(ROUTER_PEER);
    if (monitor?.paths[removed.id] !== undefined) {
      monitor.removePath(removed.id);
      this.#plane.setPath(ROUTER_PEER, removed.id, -1, null);
    }
    log("info", "bonding", `link ${name} removed`);
    return removed.slots;
  }

  /** Router: a removed link's socket slot was released by the Workers (and may be reused). */
  socketReleased(slot: number): void {
    this.#router?.socketReleased(slot);
  }

  /** Router: new weight and rate seeds of link `link.name` (its sockets unchanged). */
  updateLink(link: DataPathLink): void {
    const id = this.#router?.update(link);
    if (id !== undefined) this.#monitors.get(ROUTER_PEER)?.setWeight(id, link.weight);
  }

  /** A reload changed the scheduler mode: bonded peers switch now, later ones start in it. */
  setMode(mode: SchedulerMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    for (const peer of this.#monitors.keys()) this.#plane.setMode(peer, mode);
    log("info", "bonding", `scheduler mode ${mode}`);
  }

  /** Router: the forward-sync state shown in status. */
  forwardPush(): { generation: number; acked: boolean; refused: ForwardRefusal[] } | undefined {
    const p = this.#pusher;
    return p === undefined
      ? undefined
      : { generation: p.generation, acked: p.acked, refused: [...p.refused] };
  }

  /** VPS: `prefixes[i]` is peer i's routed /64 (null: none), told to each peer that bonds. */
  setLanPrefixes(prefixes: (WirePrefix | null)[]): void {
    if (this.#learned !== undefined) this.#lanPush = new LanPrefixPush(prefixes);
  }

  /**
   * Router: `handler` hears the LAN prefix the VPS hands us, and each change. Only a bonding
   * VPS sends one, and only a hello finds out whether it bonds: with `sayHello` hellos start
   * even on a single link (`lan:` is configured); without, the prefix arrives if we bond anyway.
   */
  wantLanPrefix(handler: (prefix: WirePrefix | null) => void, sayHello: boolean): void {
    if (this.#learned !== undefined) return;
    this.#onLanPrefix = handler;
    if (sayHello) this.#startHellos();
  }

  /** VPS: the most paths any router has (each TCP split connection wants one subflow per path). */
  mostPaths(): number {
    return this.#learned?.mostPaths() ?? 0;
  }

  /**
   * Each bonding peer's paths as the TCP split's subflow windows need them: by path id (the
   * numbering subflows are pinned by), capacity estimate and base RTT; undefined where the
   * peer has no such path. With the peer's allowed IPs.
   */
  splitPaths(): SplitPeerPaths[] {
    const out: SplitPeerPaths[] = [];
    for (const [peer, monitor] of this.#monitors) {
      out.push({
        peer,
        allowedIps: this.#plane.control.peers[peer]?.allowedIps ?? [],
        paths: monitor.paths.map((p) =>
          p === undefined
            ? undefined
            : { bytesPerSecond: p.health.rate.rate, minRttMs: p.health.rtt.min }
        ),
      });
    }
    return out;
  }

  /** VPS: offer the TCP split listener to routers (with each hello-ack), or stop offering. */
  setSplitOffer(listener: Endpoint | undefined): void {
    this.#splitOffer = listener;
  }

  #startHellos(): void {
    if (this.#hellos || this.#router === undefined) return;
    this.#hellos = true;
    this.#plane.handshakeSocket = (peer, family) => this.#liveSocket(peer, family);
  }

  start(): void {
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), BONDING_TICK_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#plane.onControl = undefined;
  }

  /** Router: every link with its state and traffic, in configuration order. VPS: empty. */
  links(now: number): LinkStatus[] {
    if (this.#router === undefined || !this.#hellos) return [];
    const monitor = this.#monitors.get(ROUTER_PEER);
    return this.#router.status(now, ROUTER_PEER, (id) => monitor?.paths[id], this.#traffic);
  }

  /** VPS: the paths learned for `peer`. Router: empty. */
  paths(now: number, peer: number): PathStatus[] {
    if (this.#learned === undefined) return [];
    const monitor = this.#monitors.get(peer);
    return this.#learned.paths(peer).map((p) => {
      const h = monitor?.paths[p.linkId]?.health;
      return {
        link: p.name,
        linkId: p.linkId,
        endpoint: p.endpoint.toString(),
        state: h ? pathStateName(h.state) : now - p.lastHelloAt > LINK_SILENT_MS ? "silent" : "up",
        lastHelloAgeMs: now - p.lastHelloAt,
        rebinds: p.rebinds,
        rttMs: h && h.rtt.samples > 0 ? h.rtt.srtt : undefined,
      };
    });
  }

  #tick(): void {
    const now = this.#plane.now();
    for (const monitor of this.#monitors.values()) {
      const deferred = monitor.ticksDeferred;
      const changes = monitor.tick(now);
      this.counters.healthTicksDeferred += monitor.ticksDeferred - deferred;
      for (const change of changes) {
        log("info", "bonding", `path ${change.name}: ${change.state}`, {
          peer: this.#plane.control.peers[monitor.peer]?.name ?? monitor.peer,
          ...(change.silentMs === undefined ? {} : { silent_ms: change.silentMs }),
        });
        this.onPathChange?.({ peer: monitor.peer, ...change });
      }
    }
    this.#pushLanPrefixes(now);
    if (this.#learned !== undefined) this.#forgetSilentPaths(now);
    if (this.#router === undefined || !this.#hellos) return;
    this.#pushForwards(now);
    this.#router.tick(
      now,
      this.#plane.control.peers.map((p) => ({
        index: p.index,
        endpoint: p.endpoint,
        alternate: this.#alternates[p.index],
        handshakeAt: p.lastHandshakeMs,
      })),
    );
    this.#router.refreshStates(now, ROUTER_PEER);
  }

  /**
   * VPS: a path without a hello for PATH_FORGET_MS is forgotten (the router removed that link,
   * or it has been dead that long); a hello brings it back at once.
   */
  #forgetSilentPaths(now: number): void {
    if (now < this.#nextForgetCheck) return;
    this.#nextForgetCheck = now + HELLO_INTERVAL_MS;
    for (const [peer, monitor] of this.#monitors) {
      for (const path of this.#learned!.forgetSilent(peer, now - PATH_FORGET_MS)) {
        monitor.removePath(path.linkId);
        this.#plane.setPath(peer, path.linkId, -1, null);
        log(
          "info",
          "bonding",
          `path ${path.name} forgotten: no hello for ${PATH_FORGET_MS / 1000} s`,
          {
            peer: this.#plane.control.peers[peer]?.name ?? peer,
          },
        );
      }
    }
  }

  /** Router: a bonded peer gets the forwards when due; a stock one never. */
  #pushForwards(now: number): void {
    if (this.#pusher === undefined || !this.#router!.bonding(ROUTER_PEER)) return;
    // A new session may be a restarted VPS that lost them (a rekey every two minutes costs
    // one frame).
    const session = this.#plane.control.peers[ROUTER_PEER]?.lastHandshakeMs;
    if (session !== this.#pushSession) {
      this.#pushSession = session;
      this.#pusher.resend();
    }
    for (const frame of this.#pusher.due(now)) {
      this.#send(ROUTER_PEER, -1, -1, null, frame);
      this.counters.forwardSyncsSent++;
    }
  }

  /** VPS: each bonded peer (it answered hellos, so not a stock peer) gets its LAN prefix. */
  #pushLanPrefixes(now: number): void {
    if (this.#lanPush === undefined) return;
    for (const peer of this.#monitors.keys()) {
      const frame = this.#lanPush.due(now, peer, this.#plane.control.peers[peer]?.lastHandshakeMs);
      if (frame !== undefined) this.#send(peer, -1, -1, null, frame);
    }
  }

  /** VPS: a part of a peer's forwards; the whole set is applied, then acked. */
  #onForwardSync(peer: number, frame: ForwardSync): void {
    const handler = this.onForwards;
    if (this.#learned === undefined || handler === undefined) {
      this.counters.controlFramesUnhandled++;
      return;
    }
    this.counters.forwardSyncsReceived++;
    const whole = this.#gatherer.onSync(peer, frame);
    if (whole === undefined) return;
    const generation = frame.generation;
    handler(peer, whole).then((refused) => refused ?? [], (err) => {
      const reason = (err as Error).message;
      log("warn", "bonding", `forwards not applied: ${reason}`, {
        peer: this.#plane.control.peers[peer]?.name ?? peer,
      });
      // The router shows why none of them works.
      return whole.map((f) => ({ ...f, reason }));
    }).then((refused) => {
      // Stopped meanwhile: the Workers are gone.
      if (this.#timer === undefined) return;
      for (const ack of forwardAckFrames(generation, refused)) {
        this.#send(peer, -1, -1, null, ack);
        this.counters.forwardAcksSent++;
      }
    });
  }

  #receive(
    now: number,
    peer: number,
    socket: number,
    from: Endpoint,
    path: number,
    payload: Uint8Array,
  ): void {
    const decoded = decodeControlFrame(payload);
    if (decoded.frame === null) {
      this.counters.controlFramesBad++;
      return;
    }
    const frame = decoded.frame;
    switch (frame.type) {
      case "link-hello":
        return this.#onHello(now, peer, socket, from, frame);
      case "link-hello-ack":
        if (this.#router?.onAck(now, peer, frame)) {
          this.counters.linkHelloAcksReceived++;
          if (!this.#monitors.has(peer)) this.#bondRouterPeer(now, peer);
        } else {
          this.counters.linkHelloAcksStale++;
        }
        return;
      case "probe":
        if (this.#router?.removedSocket(socket)) {
          this.counters.probesOnRemovedLinks++;
          return;
        }
        this.#send(peer, frame.pathId, socket, from, {
          type: "probe-echo",
          pathId: frame.pathId,
          seq: frame.seq,
          sentAt: frame.sentAt,
          holdMs: 0,
        });
        this.counters.probeEchoesSent++;
        this.#monitors.get(peer)?.onProbe(now, frame);
        return;
      case "probe-echo":
        if (!this.#monitors.get(peer)?.onEcho(now, frame)) this.counters.probeEchoesRejected++;
        return;
      case "receive-report": {
        this.counters.receiveReportsReceived++;
        const monitor = this.#monitors.get(peer);
        // The receive Worker hears of a path (or of the peer's bonding) a moment after this
        // thread: a report that beat that message is placed here, by the same rule.
        const by = path >= 0
          ? path
          : monitor?.pathBy(socket, from, this.#router !== undefined) ?? -1;
        if (by < 0) this.counters.receiveReportsPathUnknown++;
        if (monitor?.onReport(now, frame, by) === false) this.counters.receiveReportsLate++;
        return;
      }
      case "forward-sync":
        return this.#onForwardSync(peer, frame);
      case "forward-ack":
        if (this.#pusher?.onAck(frame)) {
          this.counters.forwardAcksReceived++;
          if (this.#pusher.acked) {
            log("info", "bonding", "forwards acknowledged by the peer", {
              generation: frame.generation,
              refused: this.#pusher.refused.length,
            });
          }
        } else this.counters.controlFramesUnhandled++;
        return;
      case "lan-prefix":
        return this.#onLanPrefixFrame(peer, frame);
      case "split-offer":
        if (this.#router === undefined || this.onSplitOffer === undefined) {
          this.counters.controlFramesUnhandled++;
          return;
        }
        this.counters.splitOffersReceived++;
        this.onSplitOffer(frame.listener);
        return;
      case "lan-prefix-ack":
        if (!this.#lanPush?.onAck(peer, frame)) this.counters.controlFramesUnhandled++;
        return;
      default:
        this.counters.controlFramesUnhandled++;
    }
  }

  /** Router: the VPS's LAN prefix; acked always (the VPS resends until then), news handed on. */
  #onLanPrefixFrame(peer: number, frame: WirePrefix): void {
    const handler = this.#onLanPrefix;
    if (handler === undefined) {
      this.counters.controlFramesUnhandled++;
      return;
    }
    const { ack, changed } = this.#lanReceiver.onPrefix(frame);
    this.#send(peer, -1, -1, null, ack);
    if (changed !== undefined) handler(changed);
  }

  #onHello(
    now: number,
    peer: number,
    socket: number,
    from: Endpoint,
    hello: Extract<ControlFrame, { type: "link-hello" }>,
  ): void {
    this.counters.linkHellosReceived++;
    if (this.#learned === undefined) {
      // Two routers facing each other: neither learns paths.
      this.counters.controlFramesUnhandled++;
      return;
    }
    if (hello.linkId >= PATHS_PER_PEER) {
      this.counters.linkIdsUnsupported++;
      return;
    }
    const outcome = this.#learned.onHello(now, peer, socket, from, hello);
    if (outcome === "new" || outcome === "new-epoch") {
      this.counters.pathsLearned++;
      log("info", "bonding", `path ${hello.name} learned`, { endpoint: from.toString() });
    } else if (outcome === "rebound") {
      this.counters.pathRebinds++;
      log("info", "bonding", `path ${hello.name} moved`, { endpoint: from.toString() });
    }
    if (outcome !== "refreshed") this.#learnedPath(now, peer, outcome === "new-epoch", hello);
    this.#send(peer, hello.linkId, socket, from, {
      type: "link-hello-ack",
      epoch: hello.epoch,
      linkId: hello.linkId,
      observed: from,
    });
    this.counters.linkHelloAcksSent++;
    if (this.#splitOffer !== undefined) {
      this.#send(peer, hello.linkId, socket, from, {
        type: "split-offer",
        listener: this.#splitOffer,
      });
      this.counters.splitOffersSent++;
    }
  }

  /**
   * Router: the socket of the bonded peer's first live path of `family` (configured order),
   * undefined when the peer does not bond or no path is live (then the first link's socket).
   */
  #liveSocket(peer: number, family: 4 | 6): number | undefined {
    const monitor = this.#monitors.get(peer);
    if (monitor === undefined) return undefined;
    for (const path of monitor.paths) {
      if (path === undefined || path.health.state === PATH_DOWN) continue;
      if (this.#slots.family(path.socket) === family) return path.socket;
    }
    return undefined;
  }

  /** A monitor for `peer`, made (and the Workers told the peer bonds) on first use. */
  #monitor(peer: number): PeerPathMonitor {
    let monitor = this.#monitors.get(peer);
    if (monitor === undefined) {
      monitor = new PeerPathMonitor(peer, (path, socket, to, frame) => {
        // Router paths lead to the peer's current endpoint.
        const endpoint = to ?? this.#plane.control.peers[peer]?.endpoint;
        if (socket >= 0 && endpoint === undefined) return;
        this.#send(peer, path, socket, endpoint ?? null, frame);
      });
      this.#monitors.set(peer, monitor);
      this.#plane.bondPeer(peer, this.#mode, monitor.txMemory, monitor.rxMemory);
      this.counters.bondedPeers++;
      log("info", "bonding", "peer bonds: scheduling over its paths", {
        peer: this.#plane.control.peers[peer]?.name ?? peer,
        mode: this.#mode,
      });
    }
    return monitor;
  }

  /** Router: the peer answered a hello; each link with a socket for its family is a path. */
  #bondRouterPeer(now: number, peer: number): void {
    if (this.#plane.control.peers[peer]?.endpoint === undefined || this.#router === undefined) {
      return;
    }
    const monitor = this.#monitor(peer);
    for (const id of this.#router.order) this.#addRouterPath(now, monitor, id);
  }

  /** Router: link `id` becomes a path of the bonded peer, if it has a socket of its family. */
  #addRouterPath(now: number, monitor: PeerPathMonitor, id: number): void {
    const endpoint = this.#plane.control.peers[monitor.peer]?.endpoint;
    const l = this.#router?.link(id);
    const route = l === undefined || endpoint === undefined
      ? undefined
      : linkRoute(l, endpoint, this.#alternates[monitor.peer]);
    if (l === undefined || route === undefined || id >= PATHS_PER_PEER) return;
    const socket = route.socket;
    // A path of the peer's own family follows its endpoint (null); another family's goes to
    // the fixed alternate address.
    const to = route.alternate ? route.to : null;
    const settings = this.#router?.settings(id);
    const up = settings?.upMbps;
    monitor.setPath(
      now,
      id,
      l.name,
      socket,
      to,
      settings?.weight ?? 1,
      up ? (up * 1e6) / 8 : undefined,
    );
    // Received: anything on the link's socket is this path, whichever source the VPS used.
    this.#plane.setPath(monitor.peer, id, socket, to, true);
  }

  /** VPS: a hello added or moved a path (a new epoch first voids the old ones). */
  #learnedPath(
    now: number,
    peer: number,
    newEpoch: boolean,
    hello: Extract<ControlFrame, { type: "link-hello" }>,
  ): void {
    const monitor = this.#monitor(peer);
    if (newEpoch) {
      monitor.paths.forEach((path, id) => {
        if (path === undefined) return;
        monitor.removePath(id);
        this.#plane.setPath(peer, id, -1, null);
      });
    }
    const learned = this.#learned!.paths(peer).find((p) => p.linkId === hello.linkId);
    if (learned === undefined) return;
    // The router's down_mbps for this link is what we may send over it.
    const seed = hello.downKbps > 0 ? (hello.downKbps * 1000) / 8 : undefined;
    monitor.setPath(now, hello.linkId, hello.name, learned.socket, learned.endpoint, 1, seed);
    this.#plane.setPath(peer, hello.linkId, learned.socket, learned.endpoint);
  }

  #send(
    peer: number,
    path: number,
    socket: number,
    to: Endpoint | null,
    frame: ControlFrame,
  ): void {
    const length = encodeControlFrame(frame, this.#scratch, 0);
    this.#plane.sendControl(peer, path, socket, to, this.#scratch.subarray(0, length));
  }
}
