/**
 * The data path as the daemon sees it: the control plane on the main thread and two Workers,
 * TX (TUN → seal → sendmmsg) and RX (poll + recvmmsg → open → TUN), each with blocking FFI and
 * its own AEAD backend. `start` resolves once both run; `status` reads everything from shared
 * memory and the control plane without waking the Workers; `stop` ends both within a second.
 */
import type { ForwardEntry } from "../bonding/control_frame_types.ts";
import { encodeKey } from "../protocol/keys.ts";
import { activityViews, createActivityBuffer } from "../protocol/peer_activity.ts";
import { BondingPlane } from "./bonding_plane.ts";
import { ControlPlane } from "./control_plane.ts";
import { offloadsFromEnv } from "./offloads.ts";
import type { DataPathOptions, ReceiverReport, SenderReport, TunnelStatus } from "./messages.ts";
import { RECEIVE_COUNTER_NAMES } from "./receive_loop.ts";
import { SocketTraffic } from "./socket_traffic.ts";
import { TRANSMIT_COUNTER_NAMES } from "./transmit_loop.ts";
import { WorkerHandle, type WorkerStartFields } from "./worker_handle.ts";

/** How long the Workers may take to stop before they are terminated regardless. */
const STOP_GRACE_MS = 800;

export class DataPath {
  /** The AEAD backend in use ("openssl"; "tx:openssl rx:noble" if the Workers differ). */
  readonly aead: string;
  readonly #plane: ControlPlane;
  readonly #bonding: BondingPlane;
  readonly #tx: WorkerHandle;
  readonly #rx: WorkerHandle;
  #stopping: Promise<void> | undefined;

  private constructor(
    plane: ControlPlane,
    bonding: BondingPlane,
    tx: WorkerHandle,
    rx: WorkerHandle,
  ) {
    this.#plane = plane;
    this.#bonding = bonding;
    this.#tx = tx;
    this.#rx = rx;
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
    const traffic = SocketTraffic.create(opts.sockets.length);
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
      offloads: offloadsFromEnv(),
    };
    // Reports that arrive before the control plane exists are replayed to it.
    let plane: ControlPlane | undefined;
    let bonding: BondingPlane | undefined;
    const early: (() => void)[] = [];
    const fromTx = (r: SenderReport | ReceiverReport) => {
      const deliver = () => plane!.fromSender(r as SenderReport);
      if (plane) deliver();
      else early.push(deliver);
    };
    const fromRx = (r: SenderReport | ReceiverReport) => {
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
      bonding = new BondingPlane(opts, plane, traffic, epoch);
    } catch (err) {
      await Promise.all([tx.stop(STOP_GRACE_MS), rx.stop(STOP_GRACE_MS)]);
      throw err;
    }
    for (const deliver of early.splice(0)) deliver();
    const dp = new DataPath(plane, bonding, tx, rx);
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

  /** VPS: where each peer's pushed forwards go; the peer is acked once the promise settles. */
  set onForwards(handler: ((peer: number, forwards: ForwardEntry[]) => Promise<void>) | undefined) {
    this.#bonding.onForwards = handler;
  }

  /** Stops both Workers (their keys zeroed) and the control plane. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#tx.onFatal = undefined;
      this.#rx.onFatal = undefined;
      this.#bonding.stop();
      await Promise.all([this.#tx.stop(STOP_GRACE_MS), this.#rx.stop(STOP_GRACE_MS)]);
      this.#plane.stop();
    })();
    return this.#stopping;
  }
}
