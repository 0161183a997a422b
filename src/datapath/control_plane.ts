/**
 * The control plane on the main thread: the protocol's Control wired to the two data-path
 * Workers. Its commands to the sender and the receiver become messages to the TX and RX
 * Workers (keys transferred, not copied); the Workers' reports become calls on Control; its
 * handshake datagrams go straight out of the shared UDP sockets; its timers run on an interval,
 * reading what the Workers did from the shared per-peer activity.
 */
import { UdpSocket } from "../../ffi/udp.ts";
import { log } from "../log.ts";
import { Control, type CoreEvent } from "../protocol/control.ts";
import { TICK_INTERVAL_MS } from "../protocol/constants.ts";
import { resolveCoreSettings } from "../protocol/core_settings.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import type { Peer } from "../protocol/peer.ts";
import type { PeerActivity } from "../protocol/peer_activity.ts";
import type { ReceiverControl, SenderControl } from "../protocol/transport_links.ts";
import type { DataPathOptions, ReceiverReport, SenderReport, WorkerSocket } from "./messages.ts";
import type { WorkerHandle } from "./worker_handle.ts";
import type { SchedulerMode } from "../bonding/scheduler.ts";
import type { BondedPeerMemory } from "./bonded_sender.ts";
import type { BondedReceiveMemory } from "./bonded_receiver.ts";

export class ControlPlane {
  readonly control: Control;
  readonly counters = { handshakeSendErrors: 0, handshakeNoSocket: 0 };
  /**
   * Where authenticated control frames go (the bonding layer), with the bonded path they came by
   * (-1: none); unset: they are dropped.
   */
  onControl:
    | ((peer: number, socket: number, from: Endpoint, path: number, payload: Uint8Array) => void)
    | undefined;
  /**
   * The socket handshake messages to `peer` leave by (a bonded router picks a live link, so a
   * dead first link cannot stop rekeying); undefined: the first socket of the family.
   */
  handshakeSocket: ((peer: number, family: 4 | 6) => number | undefined) | undefined;
  readonly #tx: WorkerHandle;
  readonly #rx: WorkerHandle;
  /** By socket slot; undefined while free or while a removed link's socket drains. */
  readonly #sockets: (UdpSocket | undefined)[];
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    opts: DataPathOptions,
    activity: readonly PeerActivity[],
    tx: WorkerHandle,
    rx: WorkerHandle,
  ) {
    this.#tx = tx;
    this.#rx = rx;
    this.#sockets = opts.sockets.map((s) => UdpSocket.fromFd(s.fd, s.family));
    const settings = resolveCoreSettings({ timers: opts.timers });
    const sender: SenderControl = {
      setKeypair: (_now, peer, keypair) =>
        tx.post(
          { type: "set-keypair", peer, keypair },
          keypair ? [keypair.key.buffer as ArrayBuffer] : [],
        ),
      setEndpoint: (_now, peer, endpoint) =>
        tx.post({ type: "set-endpoint", peer, endpoint: endpoint.toString() }),
      flush: (_now, peer) => tx.post({ type: "flush", peer }),
      sendKeepalive: (_now, peer) => tx.post({ type: "keepalive", peer }),
      dropStaged: (_now, peer) => tx.post({ type: "drop-staged", peer }),
    };
    const receiver: ReceiverControl = {
      addKeypair: (_now, peer, keypair) =>
        rx.post({ type: "add-keypair", peer, keypair }, [keypair.key.buffer as ArrayBuffer]),
      removeKeypair: (_now, localIndex) => rx.post({ type: "remove-keypair", localIndex }),
      setEndpoint: (_now, peer, endpoint) =>
        rx.post({ type: "set-endpoint", peer, endpoint: endpoint.toString() }),
    };
    this.control = new Control(
      {
        privateKey: opts.privateKey,
        peers: opts.peers.map((p) => ({
          name: p.name,
          publicKey: p.publicKey,
          presharedKey: p.presharedKey,
          endpoint: p.endpoint ? Endpoint.parse(p.endpoint) : undefined,
          allowedIps: p.allowedIps,
          persistentKeepalive: p.persistentKeepalive,
        })),
        random: (buf) => crypto.getRandomValues(buf),
        epochOffsetMs: opts.epochOffsetMs,
        timers: settings.timers,
        underLoadThreshold: settings.underLoadThreshold,
        activity,
      },
      {
        sendToNetwork: (peer, to, datagram) => this.#send(peer?.index, to, datagram),
        event: (event) => this.#logEvent(event),
      },
      sender,
      receiver,
    );
  }

  /** The clock every thread shares: the main thread's performance.now(). */
  now(): number {
    return performance.now();
  }

  /** Starts the protocol timers (and brings up peers with a persistent keepalive now). */
  start(): void {
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), TICK_INTERVAL_MS);
  }

  /**
   * Sends a control frame to `peer` on one path: from socket `socket` to `to`. The TX Worker
   * seals it (it owns the send counter); without a usable keypair it is dropped there.
   */
  sendControl(
    peer: number,
    path: number,
    socket: number,
    to: Endpoint | null,
    frame: Uint8Array,
  ): void {
    const payload = frame.slice();
    this.#tx.post(
      { type: "control", peer, path, socket, to: to === null ? null : to.toString(), payload },
      [payload.buffer as ArrayBuffer],
    );
  }

  /** `peer` bonds: both Workers get its shared path state. */
  bondPeer(
    peer: number,
    mode: SchedulerMode,
    tx: BondedPeerMemory,
    rx: BondedReceiveMemory,
  ): void {
    this.#tx.post({ type: "bond-peer", peer, mode, memory: tx });
    this.#rx.post({ type: "bond-peer", peer, memory: rx });
  }

  /** Handshakes may leave by socket slot `slot` (undefined: no longer). */
  setSocket(slot: number, socket: WorkerSocket | undefined): void {
    this.#sockets[slot] = socket === undefined
      ? undefined
      : UdpSocket.fromFd(socket.fd, socket.family);
  }

  /** A bonded peer's scheduler mode changed. */
  setMode(peer: number, mode: SchedulerMode): void {
    this.#tx.post({ type: "set-mode", peer, mode });
  }

  /**
   * Path `path` of a bonded peer leaves/arrives by `socket` (-1: the path is gone), to/from
   * `endpoint` (null: the peer's endpoint, any source on that socket). `anySource`: received
   * datagrams need not come from `endpoint` (a router's path is its socket).
   */
  setPath(
    peer: number,
    path: number,
    socket: number,
    endpoint: Endpoint | null,
    anySource = false,
  ): void {
    const text = endpoint === null ? null : endpoint.toString();
    this.#tx.post({ type: "set-path", peer, path, socket, endpoint: text });
    this.#rx.post({ type: "set-path", peer, path, socket, endpoint: anySource ? null : text });
  }

  /** A report from the TX Worker. */
  fromSender(report: SenderReport): void {
    if (report.type === "handshake-needed") this.control.handshakeNeeded(this.now(), report.peer);
    // socket-released is the data path's own business (data_path.ts).
  }

  /** A report from the RX Worker. */
  fromReceiver(report: ReceiverReport): void {
    const now = this.now();
    switch (report.type) {
      case "handshake-message":
        this.control.handshakeMessage(now, report.datagram, Endpoint.parse(report.from));
        break;
      case "keypair-confirmed":
        this.control.keypairConfirmed(now, report.peer, report.localIndex);
        break;
      case "endpoint-changed":
        this.control.endpointChanged(now, report.peer, Endpoint.parse(report.from));
        break;
      case "near-expiry":
        this.control.nearExpiry(now, report.peer);
        break;
      case "control":
        this.onControl?.(
          report.peer,
          report.socket,
          Endpoint.parse(report.from),
          report.path,
          report.payload,
        );
        break;
    }
  }

  /** Stops the timers and zeroes the control plane's keys. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.control.destroy();
  }

  #tick(): void {
    const now = this.now();
    if (now >= this.control.nextDeadline()) this.control.tick(now);
  }

  #send(peer: number | undefined, to: Endpoint, datagram: Uint8Array): void {
    const chosen = peer === undefined ? undefined : this.handshakeSocket?.(peer, to.family);
    const socket = (chosen !== undefined ? this.#sockets[chosen] : undefined) ??
      this.#sockets.find((s) => s?.family === to.family);
    if (socket === undefined) {
      this.counters.handshakeNoSocket++;
      return;
    }
    if (socket.sendTo(datagram, datagram.length, to) < 0) this.counters.handshakeSendErrors++;
  }

  #logEvent(event: CoreEvent): void {
    const peer = (event as { peer?: Peer }).peer?.name;
    log(
      event.type === "handshake-complete" ? "info" : "debug",
      "datapath",
      event.type,
      peer ? { peer } : undefined,
    );
  }
}
