/**
 * The data path as the daemon sees it: the control plane on the main thread and two Workers,
 * TX (TUN → seal → sendmmsg) and RX (poll + recvmmsg → open → TUN), each with blocking FFI and
 * its own AEAD backend. `start` resolves once both run; `status` reads everything from shared
 * memory and the control plane without waking the Workers; `stop` ends both within a second.
 */
import type { Endpoint } from "../protocol/endpoint.ts";
import type { ForwardEntry, ForwardRefusal, WirePrefix } from "../bonding/control_frame_types.ts";
import { encodeKey } from "../protocol/keys.ts";
import { activityViews, createActivityBuffer } from "../protocol/peer_activity.ts";
import { BondingPlane, type PeerPathChange, type SplitPeerPaths } from "./bonding_plane.ts";
import { ControlPlane } from "./control_plane.ts";
import {
  type DataPathLink,
  type DataPathOptions,
  type ReceiverReport,
  type SenderReport,
  SOCKET_SLOTS,
  type TunnelStatus,
  type WorkerSocket,
} from "./messages.ts";
import type { SchedulerMode } from "../bonding/scheduler.ts";
import { SocketSlots } from "./socket_slots.ts";
import { offloadNames } from "./offloads.ts";
import { RECEIVE_COUNTER_NAMES } from "./receive_loop.ts";
import { SocketTraffic } from "./socket_traffic.ts";
import { TRANSMIT_COUNTER_NAMES } from "./transmit_loop.ts";
import { WorkerHandle, type WorkerStartFields } from "./worker_handle.ts";

/** How long the Workers may take to stop before they are terminated regardless. */
const STOP_GRACE_MS = 800;
/**
 * How long a removed link's sockets keep receiving: what the peer sent before its probes found
 * the path gone (a few round trips) still arrives. Long enough for a 600 ms RTT link.
 */
export const LINK_DRAIN_MS = 1500;
/** Beyond the drain: how long a Worker may take to let go of a socket. */
const RELEASE_GRACE_MS = 1000;

export class DataPath {
  /** The AEAD backend in use ("openssl"; "tx:openssl rx:noble" if the Workers differ). */
  readonly aead: string;
  readonly #plane: ControlPlane;
  readonly #bonding: BondingPlane;
  readonly #tx: WorkerHandle;
  readonly #rx: WorkerHandle;
  readonly #slots: SocketSlots;
  readonly #offloads: string[];
  /** Per slot being released: what each Worker still has to confirm. */
  readonly #releasing = new Map<number, { tx: boolean; rx: boolean; done: () => void }>();
  #stopping: Promise<void> | undefined;

  private constructor(
    plane: ControlPlane,
    bonding: BondingPlane,
    tx: WorkerHandle,
    rx: WorkerHandle,
    slots: SocketSlots,
    offloads: string[],
  ) {
    this.#offloads = offloads;
    this.#plane = plane;
    this.#bonding = bonding;
    this.#tx = tx;
    this.#rx = rx;
    this.#slots = slots;
    this.aead = tx.aead === rx.aead ? tx.aead : `tx:${tx.aead} rx:${rx.aead}`;
  }

  /**
   * Starts both Workers and the control plane; resolves once the Workers run (keys of the
   * first handshake follow by message). `onFatal` is called if a Worker dies later.
   */
  static async start(
    opts: DataPathOptions,
    onFatal: (message: string) => void,
  ): Promise<DataPath> {
    const activityBuffer = createActivityBuffer(opts.peers.length, true);
    const slots = new SocketSlots(opts.sockets);
    const traffic = SocketTraffic.create(SOCKET_SLOTS);
    const fields: WorkerStartFields = {
      socketTraffic: traffic.buffer,
      tunFd: opts.tunFd,
      sockets: opts.sockets,
      activity: activityBuffer as SharedArrayBuffer,
      peers: opts.peers.map((p) => ({ allowedIps: p.allowedIps })),
      mtu: opts.mtu,
      aead: opts.aead,
      timers: opts.timers,
      timeOrigin: performance.timeOrigin,
      offloads: opts.offloads,
      daemonRole: opts.daemonRole,
    };
    // Reports that arrive before the control plane exists are replayed to it.
    let plane: ControlPlane | undefined;
    let bonding: BondingPlane | undefined;
    // Released sockets are the DataPath's own (none is released before it exists).
    let released = (_worker: "tx" | "rx", _slot: number) => {};
    const early: (() => void)[] = [];
    const fromTx = (r: SenderReport | ReceiverReport) => {
      if (r.type === "socket-released") return released("tx", r.slot);
      const deliver = () => plane!.fromSender(r as SenderReport);
      if (plane) deliver();
      else early.push(deliver);
    };
    const fromRx = (r: SenderReport | ReceiverReport) => {
      if (r.type === "socket-released") return released("rx", r.slot);
      const deliver = () => plane!.fromReceiver(r as ReceiverReport);
      if (plane) deliver();
      else early.push(deliver);
    };
    const [txResult, rxResult] = await Promise.allSettled([
      WorkerHandle.spawn("tx", fields, TRANSMIT_COUNTER_NAMES, fromTx),
      WorkerHandle.spawn("rx", fields, RECEIVE_COUNTER_NAMES, fromRx),
    ]);
    if (txResult.status === "rejected" || rxResult.status === "rejected") {
      if (txResult.status === "fulfilled") await txResult.value.stop(STOP_GRACE_MS);
      if (rxResult.status === "fulfilled") await rxResult.value.stop(STOP_GRACE_MS);
      const failed = txResult.status === "rejected" ? txResult : rxResult as PromiseRejectedResult;
      throw failed.reason;
    }
    const tx = txResult.value, rx = rxResult.value;
    try {
      plane = new ControlPlane(
        opts,
        activityViews(activityBuffer, opts.peers.length),
        tx,
        rx,
      );
      const epoch = crypto.getRandomValues(new Uint32Array(1))[0];
      bonding = new BondingPlane(opts, plane, traffic, epoch, slots);
    } catch (err) {
      await Promise.all([tx.stop(STOP_GRACE_MS), rx.stop(STOP_GRACE_MS)]);
      throw err;
    }
    for (const deliver of early.splice(0)) deliver();
    const dp = new DataPath(plane, bonding, tx, rx, slots, offloadNames(opts.offloads));
    released = (worker, slot) => dp.#released(worker, slot);
    tx.onFatal = onFatal;
    rx.onFatal = onFatal;
    plane.start();
    bonding.start();
    return dp;
  }

  /** A snapshot of peers and counters (shared memory and the control plane; no Worker woken). */
  status(): Promise<TunnelStatus> {
    const now = this.#plane.now();
    const control = this.#plane.control;
    return Promise.resolve({
      aead: this.aead,
      aeadByWorker: { tx: this.#tx.aead, rx: this.#rx.aead },
      offloads: this.#offloads,
      peers: control.peers.map((p) => ({
        name: p.name,
        publicKey: encodeKey(p.publicKey),
        endpoint: p.endpoint?.toString(),
        handshakeAgeMs: p.lastHandshakeMs === undefined ? undefined : now - p.lastHandshakeMs,
        rxBytes: p.rxBytes,
        txBytes: p.txBytes,
        rxPackets: p.rxPackets,
        txPackets: p.txPackets,
        paths: this.#bonding.paths(now, p.index),
      })),
      links: this.#bonding.links(now),
      forwardPush: this.#bonding.forwardPush(),
      counters: {
        ...(control.stats as unknown as Record<string, number>),
        ...this.#plane.counters,
        ...this.#bonding.counters,
        ...this.#tx.counters.read(),
        ...this.#rx.counters.read(),
      },
    });
  }

  /** Router: its forwards, sent to the peer over the control channel once it bonds. */
  setForwards(forwards: ForwardEntry[]): void {
    this.#bonding.setForwards(forwards);
  }

  /**
   * VPS: where each peer's pushed forwards go; the peer is acked, with what the promise says
   * was refused, once it settles.
   */
  set onForwards(
    handler:
      | ((peer: number, forwards: ForwardEntry[]) => Promise<ForwardRefusal[] | void>)
      | undefined,
  ) {
    this.#bonding.onForwards = handler;
  }

  /** VPS: peer i's routed LAN prefix (null: none), told to each peer that bonds. */
  setLanPrefixes(prefixes: (WirePrefix | null)[]): void {
    this.#bonding.setLanPrefixes(prefixes);
  }

  /** VPS: the most paths any bonding router has now. */
  mostPaths(): number {
    return this.#bonding.mostPaths();
  }

  /** Each bonding peer's paths (capacity, base RTT) and allowed IPs, for the split's windows. */
  splitPaths(): SplitPeerPaths[] {
    return this.#bonding.splitPaths();
  }

  /** VPS: offer the TCP split listener to bonding routers (undefined: stop offering). */
  setSplitOffer(listener: Endpoint | undefined): void {
    this.#bonding.setSplitOffer(listener);
  }

  /** Router: hears the VPS's TCP split listener from each of its offers. */
  set onSplitOffer(handler: ((listener: Endpoint) => void) | undefined) {
    this.#bonding.onSplitOffer = handler;
  }

  /** Hears every path state change of every bonding peer. */
  set onPathChange(handler: ((change: PeerPathChange) => void) | undefined) {
    this.#bonding.onPathChange = handler;
  }

  /**
   * Router: `handler` hears the LAN prefix the VPS hands this router, and each change;
   * `sayHello` starts link hellos even on a single link (see BondingPlane.wantLanPrefix).
   */
  wantLanPrefix(handler: (prefix: WirePrefix | null) => void, sayHello: boolean): void {
    this.#bonding.wantLanPrefix(handler, sayHello);
  }

  /**
   * Router: a link added at run time (a reload), with its sockets (one per family it reaches),
   * which both Workers take at once. The caller keeps owning the fds: it closes them after
   * `removeLink` resolves, or at stop. Throws (nothing changed) when the slots are full.
   */
  addLink(link: DataPathLink, sockets: readonly WorkerSocket[]): void {
    this.#bonding.checkLinkRoom(link.name);
    if (this.#slots.available < sockets.length) {
      throw new RangeError(
        `no room for ${sockets.length} more sockets in the data path (${SOCKET_SLOTS} slots)`,
      );
    }
    const byFamily: { 4?: number; 6?: number } = {};
    const taken: number[] = [];
    for (const socket of sockets) {
      const slot = this.#slots.take(socket);
      taken.push(slot);
      byFamily[socket.family] ??= slot;
      this.#tx.post({ type: "open-socket", slot, socket });
      this.#rx.post({ type: "open-socket", slot, socket });
      this.#plane.setSocket(slot, socket);
    }
    this.#bonding.addLink(link, byFamily);
  }

  /**
   * Router: link `name` is removed: at once it carries nothing more; its sockets keep receiving
   * for LINK_DRAIN_MS, then both Workers let go of them. Resolves when the caller may close the
   * fds (also if a Worker did not answer within a grace period: it is being stopped then).
   */
  async removeLink(name: string): Promise<void> {
    const slots = this.#bonding.removeLink(name);
    for (const slot of slots) {
      this.#plane.setSocket(slot, undefined);
      this.#tx.post({ type: "release-socket", slot });
    }
    await Promise.all(slots.map((slot) => this.#release(slot)));
  }

  /** Router: new weight and rate seeds for link `link.name`. */
  updateLink(link: DataPathLink): void {
    this.#bonding.updateLink(link);
  }

  /** A reload changed the scheduler mode. */
  setSchedulerMode(mode: SchedulerMode): void {
    this.#bonding.setMode(mode);
  }

  /**
   * Asks RX to let go of `slot` after LINK_DRAIN_MS (TX was asked already); resolves once both
   * confirmed, or a grace period later.
   */
  #release(slot: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#releasing.delete(slot);
        this.#slots.free(slot);
        this.#bonding.socketReleased(slot);
        resolve();
      };
      this.#releasing.set(slot, { tx: false, rx: false, done });
      timer = setTimeout(() => {
        this.#rx.post({ type: "release-socket", slot });
        timer = setTimeout(done, RELEASE_GRACE_MS);
      }, LINK_DRAIN_MS);
    });
  }

  #released(worker: "tx" | "rx", slot: number): void {
    const r = this.#releasing.get(slot);
    if (r === undefined) return;
    r[worker] = true;
    if (r.tx && r.rx) r.done();
  }

  /** Stops both Workers (their keys zeroed) and the control plane. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#tx.onFatal = undefined;
      this.#rx.onFatal = undefined;
      this.#bonding.stop();
      await Promise.all([this.#tx.stop(STOP_GRACE_MS), this.#rx.stop(STOP_GRACE_MS)]);
      // Sockets still draining: the Workers are gone, so the caller may close them now.
      for (const r of [...this.#releasing.values()]) r.done();
      this.#plane.stop();
    })();
    return this.#stopping;
  }
}
