/**
 * The TX Worker's loop: tunnel → network. Stage by stage, per batch of up to BATCH packets:
 *   1. mail: if the main thread posted (keypairs, endpoints, keepalives, stop), take it;
 *   2. TUN → read each packet straight into a send slot, 16 bytes in, so the sender writes the
 *      transport header into that headroom and seals in place (no copy); with TUN offloads,
 *      read a virtio_net_hdr and up to 64 KiB into WebAssembly memory, and cut TCP
 *      super-packets into segments in the send slots instead (GsoSegmenter: one read per ~45
 *      packets, payload checksums summed in WebAssembly where the read lies);
 *   3. route, counter, seal (TransportSender) → the slot describes the datagram;
 *   4. sendmmsg per socket, runs of equal-size datagrams to one peer as UDP GSO
 *      super-datagrams (one trip through the stack each); a full socket buffer makes us wait
 *      for POLLOUT (backpressure on the TUN queue) instead of dropping what we already sealed;
 *   5. nothing read: block in poll on the TUN fd and the wake eventfd.
 * No await or throw per packet, and no buffer allocated per packet (only short-lived views
 * of the preallocated ones); problems are counted.
 */
import { EventFd } from "../../ffi/eventfd.ts";
import { MmsgBatch } from "../../ffi/mmsg.ts";
import { PollSet } from "../../ffi/poll.ts";
import { EAGAIN, EINTR, EIO } from "../../ffi/errno.ts";
import { GsoSendBatch } from "../../ffi/udp_gso.ts";
import { POLLOUT } from "../../ffi/constants.ts";
import { TunDevice } from "../../ffi/tun.ts";
import type { TransportAead } from "../crypto/aead.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { resolveCoreSettings } from "../protocol/core_settings.ts";
import { activityViews } from "../protocol/peer_activity.ts";
import { newSenderStats } from "../protocol/stats.ts";
import { SEND_HEADROOM, TransportSender } from "../protocol/transport_sender.ts";
import { TRANSPORT_COUNTER_OFFSET } from "../protocol/constants.ts";
import { readCounter } from "../protocol/wire.ts";
import { type SplitPortSide, splitSubflowOf } from "../mptcp/subflow_ports.ts";
import { flowHash } from "../bonding/flow_hash.ts";
import { GsoSegmenter } from "../offload/gso_segmenter.ts";
import { loadWasmChecksum } from "../offload/wasm_checksum.ts";
import { VNET_HDR_SIZE } from "../offload/virtio_net_hdr.ts";
import { MailboxReceiver } from "./mailbox.ts";
import {
  type SenderMessage,
  SOCKET_SLOTS,
  type WorkerSocket,
  type WorkerStart,
  type WorkerToMain,
} from "./messages.ts";
import { BondedSender } from "./bonded_sender.ts";
import { SharedCounters } from "./shared_counters.ts";
import { SocketTraffic } from "./socket_traffic.ts";
import { slotSizeFor } from "./slot_size.ts";

/** Transport header, average padding and tag around a packet's plaintext, bytes. */
const DATAGRAM_OVERHEAD = 16 + 8 + 16;
/** Packets per batch. */
export const TX_BATCH = 64;
/** A TUN read with offloads: the virtio_net_hdr and a packet of up to 64 KiB. */
const TUN_READ_BYTES = VNET_HDR_SIZE + 0x10000;
/** Longest sleep with nothing to do (only bounds how stale published counters can get). */
const MAX_POLL_MS = 1000;
/** How often counters are copied to shared memory while busy. */
const PUBLISH_INTERVAL_MS = 20;
/** Rounds of waiting for a full socket buffer to drain before the rest of a batch is dropped. */
const FULL_BUFFER_ROUNDS = 50;
const FULL_BUFFER_WAIT_MS = 10;

/** Counters of the TX Worker's own I/O (beside the sender's). */
export function newTransmitIoStats() {
  return {
    tunReadErrors: 0,
    txSendErrors: 0,
    txDroppedSocketFull: 0,
    txNoSocketForFamily: 0,
    txBatches: 0,
    /** UDP GSO sends (each carrying one or more datagrams). */
    txSuperDatagrams: 0,
    /** Super-datagrams the kernel refused, sent datagram by datagram instead. */
    txSegmentationRefused: 0,
    /** Control frames the main thread asked for on a socket this Worker does not have. */
    txControlBadSocket: 0,
    /** Bonded peers' packets the scheduler refused (every usable path's queue full). */
    txSchedulerDrops: 0,
    /** Bonded peers' packets sent on their paths (a redundant copy counts once per path). */
    txPathDatagrams: 0,
    /** Of those, second copies on a path (redundant mode against loss). */
    txSecondCopies: 0,
    /** Bonded peers' packets sent the plain way because no path was usable. */
    txNoUsablePath: 0,
    /** TCP split subflow packets sent on their own path (subflow_ports.ts). */
    txSplitPinned: 0,
    /** Subflow packets not pinned (their path down, or a mode other than aggregate): scheduled. */
    txSplitRescheduled: 0,
    /** TUN reads that held a TCP super-packet (TUN offloads), and the packets cut from them. */
    txTunSuperPackets: 0,
    txTunSegments: 0,
    /** TUN reads whose virtio_net_hdr made no sense or asked for an offload never offered. */
    txTunOffloadRefused: 0,
  };
}

export const TRANSMIT_COUNTER_NAMES: readonly string[] = [
  ...Object.keys(newSenderStats()),
  ...Object.keys(newTransmitIoStats()),
];

export class TransmitLoop {
  readonly #start: WorkerStart;
  readonly #post: (m: WorkerToMain) => void;
  readonly #sender: TransportSender;
  readonly #mail: MailboxReceiver;
  readonly #counters: SharedCounters;
  readonly #traffic: SocketTraffic;
  readonly #io = newTransmitIoStats();
  readonly #clockOffset: number;
  #stopping = false;

  readonly #tun: TunDevice;
  /**
   * With TUN offloads: where a read lands (header and up to 64 KiB), and who cuts it. The read
   * lands in the WebAssembly checksum module's memory, so segment payloads are summed there.
   */
  readonly #tunRead: Uint8Array | undefined;
  readonly #segmenter: GsoSegmenter;
  readonly #slotSize: number;
  /** Per socket slot (SOCKET_SLOTS of them; fd -1 and no batch while free). */
  readonly #fds: Int32Array;
  readonly #families: Uint8Array;
  readonly #batches: (MmsgBatch | undefined)[];
  readonly #writable: (PollSet | undefined)[];
  /** Per socket: the GSO batch, undefined when GSO is off (or was refused on that path). */
  readonly #gso: (GsoSendBatch | undefined)[];
  readonly #counts: Int32Array;
  /** Per batch, per slot: the view a TUN packet is read into (behind the headroom). */
  readonly #readViews: (Uint8Array[] | undefined)[];
  /** The first socket of each family (the plain way to a peer), -1 if none. */
  #v4 = -1;
  #v6 = -1;
  /** The slot the TUN packet being handled was read into, to recognise in-place datagrams. */
  #inPlaceBatch = -1;
  #inPlaceSlot = -1;
  /** The socket a control frame must leave by (its path), -1 for the family's default. */
  #pathSocket = -1;
  /** The paths the scheduler chose for the packet being sealed (0: the plain way). */
  #mask = 0;
  /** Those of them that carry a second copy (redundant mode). */
  #again = 0;
  /** That frame's path index (its send log records it), -1 if none. */
  #pathIndex = -1;
  /** When the current batch began (the scheduler's clock). */
  #clock = 0;
  /** Flow hash of the packet being sealed (pinned mode only). */
  #flow = 0;
  #pinned = false;
  /** TCP split subflow of the packet being sealed, -1 if it is none. */
  #subflow = -1;
  /** `#mask` is the path of the packet's own subflow. */
  #splitPinned = false;
  /** Where our packets carry the VPS's port: the router sends to it, the VPS from it. */
  readonly #splitSide: SplitPortSide;
  /** Per peer: its paths and scheduler once the main thread says it bonds. */
  readonly #bonded: (BondedSender | undefined)[];

  constructor(start: WorkerStart, aead: TransportAead, post: (m: WorkerToMain) => void) {
    this.#start = start;
    this.#post = post;
    this.#clockOffset = performance.timeOrigin - start.timeOrigin;
    const wake = EventFd.fromFd(start.wakeFd);
    this.#mail = new MailboxReceiver(start.mailbox, wake);
    this.#counters = SharedCounters.attach(TRANSMIT_COUNTER_NAMES, start.counters);
    this.#traffic = SocketTraffic.attach(start.socketTraffic, SOCKET_SLOTS);
    const settings = resolveCoreSettings({ timers: start.timers });
    this.#sender = new TransportSender(
      {
        peers: start.peers,
        activity: activityViews(start.activity, start.peers.length),
        aead,
        timers: settings.timers,
        stagedQueueSize: settings.staged,
        mtu: start.mtu,
      },
      { handshakeNeeded: (_now, peer) => post({ type: "handshake-needed", peer }) },
      {
        sendToNetwork: (peer, to, datagram) => this.#route(peer, to, datagram),
        admit: (peer, length) => this.#admit(peer, length),
      },
    );
    this.#bonded = start.peers.map(() => undefined);
    this.#splitSide = start.daemonRole === "router" ? "destination" : "source";

    this.#tun = TunDevice.fromFd(start.tunFd, "", start.offloads.tun);
    this.#tun.setNonBlocking(true);
    const wasm = start.offloads.tun ? loadWasmChecksum() : undefined;
    this.#segmenter = new GsoSegmenter(wasm);
    this.#tunRead = !start.offloads.tun
      ? undefined
      : wasm?.bytes.subarray(0, TUN_READ_BYTES) ?? new Uint8Array(TUN_READ_BYTES);
    this.#slotSize = slotSizeFor(start.mtu);
    this.#fds = new Int32Array(SOCKET_SLOTS).fill(-1);
    this.#families = new Uint8Array(SOCKET_SLOTS);
    this.#batches = new Array(SOCKET_SLOTS).fill(undefined);
    this.#writable = new Array(SOCKET_SLOTS).fill(undefined);
    this.#gso = new Array(SOCKET_SLOTS).fill(undefined);
    this.#readViews = new Array(SOCKET_SLOTS).fill(undefined);
    this.#counts = new Int32Array(SOCKET_SLOTS);
    start.sockets.forEach((s, slot) => this.#openSocket(slot, s));
  }

  /** Slot `slot` gets a socket: its batch, poll set and GSO batch (allocated here, not per packet). */
  #openSocket(slot: number, socket: WorkerSocket): void {
    if (slot < 0 || slot >= SOCKET_SLOTS) return;
    const v6Socket = socket.family === 6;
    const batch = new MmsgBatch({
      slots: TX_BATCH,
      slotSize: this.#slotSize,
      headroom: SEND_HEADROOM,
      v6Socket,
    });
    this.#fds[slot] = socket.fd;
    this.#families[slot] = socket.family;
    this.#batches[slot] = batch;
    this.#counts[slot] = 0;
    this.#writable[slot] = new PollSet([socket.fd], [POLLOUT]);
    // One message per slot at most, so adding never finds the batch full.
    this.#gso[slot] = this.#start.offloads.gso
      ? new GsoSendBatch({ messages: TX_BATCH, v6Socket })
      : undefined;
    // Leave 16 + 15 bytes of tailroom behind each packet for padding and the tag.
    this.#readViews[slot] = batch.buffers.map((buf) =>
      buf.subarray(SEND_HEADROOM, buf.length - 32)
    );
    this.#traffic.resetSent(slot);
    this.#pickDefaults();
  }

  /** Slot `slot` is given up: what is queued on it leaves first, then the fd is never touched. */
  #releaseSocket(slot: number): void {
    if (slot < 0 || slot >= SOCKET_SLOTS) return;
    if (this.#fds[slot] >= 0) this.#flush(slot);
    this.#fds[slot] = -1;
    this.#families[slot] = 0;
    this.#batches[slot] = undefined;
    this.#writable[slot] = undefined;
    this.#gso[slot] = undefined;
    this.#readViews[slot] = undefined;
    this.#pickDefaults();
    this.#post({ type: "socket-released", slot });
  }

  /** The first socket of each family carries what no path takes (handshake peers, stock peers). */
  #pickDefaults(): void {
    this.#v4 = this.#families.indexOf(4);
    this.#v6 = this.#families.indexOf(6);
  }

  /** A message from the main thread (runs between batches, when the loop yields). */
  handle(msg: SenderMessage | { type: "stop" }): void {
    this.#mail.handled();
    const now = this.#now();
    const s = this.#sender;
    this.#clock = now;
    switch (msg.type) {
      case "set-keypair":
        s.setKeypair(now, msg.peer, msg.keypair);
        this.#bonded[msg.peer]?.newKeypair();
        break;
      case "set-endpoint":
        s.setEndpoint(now, msg.peer, Endpoint.parse(msg.endpoint));
        break;
      case "flush":
        s.flush(now, msg.peer);
        break;
      case "keepalive":
        s.sendKeepalive(now, msg.peer);
        break;
      case "drop-staged":
        s.dropStaged(now, msg.peer);
        break;
      case "control":
        this.#sendControl(now, msg.peer, msg.path, msg.socket, msg.to, msg.payload);
        break;
      case "bond-peer":
        this.#bonded[msg.peer] ??= new BondedSender(msg.mode, msg.memory);
        this.#pinned = this.#bonded.some((b) => b?.mode === "pinned");
        break;
      case "set-mode":
        this.#bonded[msg.peer]?.setMode(msg.mode);
        this.#pinned = this.#bonded.some((b) => b?.mode === "pinned");
        break;
      case "open-socket":
        this.#openSocket(msg.slot, msg.socket);
        break;
      case "release-socket":
        this.#releaseSocket(msg.slot);
        break;
      case "set-path":
        this.#bonded[msg.peer]?.setPath(msg.path, msg.socket, msg.endpoint);
        break;
      case "stop":
        this.#stopping = true;
        break;
    }
  }

  async run(): Promise<void> {
    const poller = new PollSet([this.#start.wakeFd, this.#start.tunFd]);
    let lastPublish = -Infinity;
    try {
      while (!this.#stopping) {
        if (this.#mail.waiting) {
          await this.#mail.deliver();
          if (this.#stopping) break;
        }
        const now = this.#now();
        this.#clock = now;
        // The TUN packets are staged in the IPv4 batch when there is one: most peers are IPv4.
        const stage = this.#v4 >= 0 ? this.#v4 : this.#v6;
        const read = stage < 0
          ? 0
          : this.#tunRead === undefined
          ? this.#readPackets(now, stage)
          : this.#readOffloaded(now, stage, this.#tunRead);
        for (let b = 0; b < SOCKET_SLOTS; b++) this.#flush(b);
        if (now - lastPublish >= PUBLISH_INTERVAL_MS || read === 0) {
          this.#publish();
          lastPublish = now;
        }
        if (read === 0) {
          const ready = poller.wait(MAX_POLL_MS);
          if (ready < 0 && ready !== -EINTR) throw new Error(`poll failed: errno ${-ready}`);
          if (ready > 0 && (ready & 1) !== 0) this.#mail.clearWake();
        }
      }
    } finally {
      this.#sender.destroy();
      this.#publish();
    }
  }

  #now(): number {
    return performance.now() + this.#clockOffset;
  }

  /** Up to TX_BATCH TUN packets, each read straight into a slot of batch `stage`; returns how many. */
  #readPackets(now: number, stage: number): number {
    const batch = this.#batches[stage]!;
    const views = this.#readViews[stage]!;
    let read = 0;
    for (; read < TX_BATCH; read++) {
      if (this.#counts[stage] === batch.slots) this.#flush(stage);
      const slot = this.#counts[stage];
      const n = this.#tun.read(views[slot]);
      if (n <= 0) {
        if (n < 0 && n !== -EAGAIN && n !== -EINTR) this.#io.tunReadErrors++;
        break;
      }
      this.#handleSlot(now, stage, slot, n);
    }
    return read;
  }

  /**
   * TUN reads with a virtio_net_hdr until about TX_BATCH packets came: each read's packet, or
   * the segments of its TCP super-packet, is written into slots of batch `stage`.
   */
  #readOffloaded(now: number, stage: number, into: Uint8Array): number {
    const batch = this.#batches[stage]!;
    const views = this.#readViews[stage]!;
    const segmenter = this.#segmenter;
    const io = this.#io;
    let read = 0;
    while (read < TX_BATCH) {
      const n = this.#tun.read(into);
      if (n <= 0) {
        if (n < 0 && n !== -EAGAIN && n !== -EINTR) io.tunReadErrors++;
        break;
      }
      const count = segmenter.start(into, 0, n);
      if (count < 0) {
        io.txTunOffloadRefused++;
        read++;
        continue;
      }
      if (count > 1) {
        io.txTunSuperPackets++;
        io.txTunSegments += count;
      }
      for (let i = 0; i < count; i++) {
        if (this.#counts[stage] === batch.slots) this.#flush(stage);
        const slot = this.#counts[stage];
        const length = segmenter.write(i, views[slot], 0);
        if (length < 0) {
          io.txTunOffloadRefused++;
          continue;
        }
        this.#handleSlot(now, stage, slot, length);
      }
      read += count;
    }
    return read;
  }

  /** The packet of `length` bytes in slot `slot` of batch `stage`: routed, sealed, queued. */
  #handleSlot(now: number, stage: number, slot: number, length: number): void {
    const buf = this.#batches[stage]!.buffers[slot];
    this.#inPlaceBatch = stage;
    this.#inPlaceSlot = slot;
    if (this.#pinned) this.#flow = flowHash(buf, SEND_HEADROOM, length);
    this.#subflow = splitSubflowOf(buf, SEND_HEADROOM, length, this.#splitSide);
    this.#sender.handleTunnelPacket(now, buf, SEND_HEADROOM, length);
    this.#inPlaceBatch = -1;
    // Control frames scheduled like data pass through #admit and #route too: they are no subflow.
    this.#subflow = -1;
  }

  /**
   * A control frame: sealed at once and sent on path `path` from `socket` to `to`, or with
   * socket -1 scheduled like data (receive reports: any good path will do).
   */
  #sendControl(
    now: number,
    peer: number,
    path: number,
    socket: number,
    to: string | null,
    payload: Uint8Array,
  ): void {
    if (socket < 0 || to === null) {
      this.#sender.sendControl(now, peer, payload);
      return;
    }
    const family = socket < SOCKET_SLOTS ? this.#families[socket] : 0;
    const endpoint = Endpoint.parse(to);
    if (family !== endpoint.family) {
      this.#io.txControlBadSocket++;
      return;
    }
    this.#pathSocket = socket;
    this.#pathIndex = path;
    try {
      this.#sender.sendControl(now, peer, payload, endpoint);
    } finally {
      this.#pathSocket = -1;
      this.#pathIndex = -1;
    }
  }

  /**
   * The sink of the sender. A control frame for one path goes there; a bonded peer's packet
   * goes where the scheduler says (every path of the mask in redundant mode), recorded in each
   * path's send log; anything else, or when no path is usable, the plain way.
   */
  #route(peer: number, to: Endpoint, datagram: Uint8Array): void {
    const bonded = this.#bonded[peer];
    if (this.#pathSocket >= 0) {
      this.#queue(this.#pathSocket, to, datagram);
      if (bonded !== undefined && this.#pathIndex >= 0) {
        const counter = readCounter(datagram, TRANSPORT_COUNTER_OFFSET);
        bonded.logs[this.#pathIndex].record(counter, datagram.length, this.#clock);
      }
      return;
    }
    const mask = this.#mask;
    const again = this.#again;
    this.#mask = 0;
    this.#again = 0;
    const pinned = this.#splitPinned;
    this.#splitPinned = false;
    if (bonded !== undefined) {
      if (mask !== 0) {
        const counter = readCounter(datagram, TRANSPORT_COUNTER_OFFSET);
        // A pinned subflow packet left when its congestion control sent it (no pacing).
        const sentAt = pinned ? this.#clock : bonded.sentAt(this.#clock);
        this.#onPaths(bonded, mask, to, datagram, counter, sentAt);
        // The second copies follow the first ones, each recorded too: the receiver counts
        // every copy that arrives on a path, so the path's loss stays a per-datagram figure.
        if (again !== 0) {
          this.#io.txSecondCopies += this.#onPaths(bonded, again, to, datagram, counter, sentAt);
        }
        return;
      }
      this.#io.txNoUsablePath++;
    }
    this.#queue(to.family === 4 ? this.#v4 : this.#v6, to, datagram);
  }

  /**
   * Queues the datagram on every path of `mask` that has a socket, recorded in each path's send
   * log. Returns how many paths took it.
   */
  #onPaths(
    bonded: BondedSender,
    mask: number,
    to: Endpoint,
    datagram: Uint8Array,
    counter: number,
    sentAt: number,
  ): number {
    let sent = 0;
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const p = 31 - Math.clz32(rest & -rest);
      const socket = bonded.socket[p];
      if (socket < 0) continue;
      this.#queue(socket, bonded.endpoint[p] ?? to, datagram);
      // A subflow's loss is its congestion control's doing, not the path's: the receiver,
      // which tells subflows by their port too, leaves them out the same way.
      bonded.logs[p].record(counter, datagram.length, sentAt, this.#clock, this.#subflow < 0);
      this.#io.txPathDatagrams++;
      sent++;
    }
    return sent;
  }

  /**
   * Before sealing: a bonded peer's packet gets its path(s) from the scheduler now (kept in
   * `#mask` for `#route`), or is refused before it takes a counter when every path is full.
   * No usable path at all: admitted, and sent the plain way.
   */
  #admit(peer: number, length: number): boolean {
    this.#mask = 0;
    this.#again = 0;
    this.#splitPinned = false;
    const bonded = this.#bonded[peer];
    if (bonded === undefined || !bonded.usable()) return true;
    // The datagram: header, padding and tag on top of the plaintext.
    const bytes = length + DATAGRAM_OVERHEAD;
    if (this.#subflow >= 0) {
      const pinned = bonded.splitMask(this.#subflow);
      if (pinned !== 0) {
        this.#io.txSplitPinned++;
        this.#mask = pinned;
        this.#splitPinned = true;
        return true;
      }
      this.#io.txSplitRescheduled++;
    }
    const mask = bonded.scheduler.pick(this.#clock, bytes, this.#flow);
    if (mask === 0) {
      this.#io.txSchedulerDrops++;
      return false;
    }
    this.#mask = mask;
    this.#again = bonded.scheduler.again;
    return true;
  }

  /** Describes (or copies) the datagram into batch `b` (socket `b`). */
  #queue(b: number, to: Endpoint, datagram: Uint8Array): void {
    const batch = b < 0 ? undefined : this.#batches[b];
    if (batch === undefined) {
      this.#io.txNoSocketForFamily++;
      return;
    }
    if (this.#counts[b] === batch.slots) this.#flush(b);
    const slot = this.#counts[b];
    const buf = batch.buffers[slot];
    if (this.#inPlaceBatch === b && this.#inPlaceSlot === slot && datagram.buffer === buf.buffer) {
      // Sealed in place inside this very slot: just describe it.
      batch.setSend(slot, datagram.byteOffset - buf.byteOffset, datagram.length, to);
    } else {
      if (datagram.length > buf.length) {
        this.#io.txSendErrors++;
        return;
      }
      buf.set(datagram, 0);
      batch.setSend(slot, 0, datagram.length, to);
    }
    this.#counts[b] = slot + 1;
  }

  #flush(b: number): void {
    const count = this.#counts[b];
    if (count === 0) return;
    this.#counts[b] = 0;
    this.#io.txBatches++;
    const lengths = this.#batches[b]!.lengths;
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += lengths[i];
    this.#traffic.sent(b, bytes, count);
    const gso = this.#gso[b];
    const from = gso === undefined ? 0 : this.#sendSegmented(b, gso, count);
    if (from < count) this.#sendPlain(b, count, from);
  }

  /**
   * Sends the batch as UDP GSO super-datagrams. Returns the first datagram still to send the
   * plain way: `count` when nothing is left. A super-datagram the kernel refuses goes out
   * datagram by datagram; EIO (no checksum offload on the path) turns GSO off for the socket.
   */
  #sendSegmented(b: number, gso: GsoSendBatch, count: number): number {
    const batch = this.#batches[b]!;
    const fd = this.#fds[b];
    gso.clear();
    for (let i = 0; i < count; i++) {
      gso.add(batch.sendAddress(i), batch.lengths[i], batch.endpoints[i]);
    }
    const errorsBefore = gso.sendErrors;
    let from = 0;
    let rc = gso.send(fd);
    // Bounded: each round either waits for room or moves past one refused message.
    for (let round = 0; rc !== 0 && round < FULL_BUFFER_ROUNDS + gso.size; round++) {
      if (rc === -EAGAIN) {
        this.#writable[b]!.wait(FULL_BUFFER_WAIT_MS);
        rc = gso.send(fd, gso.stoppedAt);
        continue;
      }
      const refused = gso.stoppedAt;
      if (rc === -EIO) {
        this.#gso[b] = undefined;
        this.#post({
          type: "log",
          level: "info",
          message: "UDP segmentation offload refused on this path; sending datagram by datagram",
        });
        return gso.firstDatagramOf(refused);
      }
      this.#io.txSegmentationRefused++;
      this.#sendPlain(b, gso.firstDatagramOf(refused + 1), gso.firstDatagramOf(refused));
      from = refused + 1;
      rc = from < gso.size ? gso.send(fd, from) : 0;
    }
    this.#io.txSendErrors += gso.sendErrors - errorsBefore;
    this.#io.txSuperDatagrams += gso.size;
    if (rc === -EAGAIN) {
      this.#io.txDroppedSocketFull += count - gso.firstDatagramOf(gso.stoppedAt);
    }
    return count;
  }

  #sendPlain(b: number, count: number, from: number): void {
    const batch = this.#batches[b]!;
    const fd = this.#fds[b];
    const errorsBefore = batch.sendErrors;
    batch.send(fd, count, 0, from);
    for (let round = 0; batch.sendStoppedAt < count && round < FULL_BUFFER_ROUNDS; round++) {
      this.#writable[b]!.wait(FULL_BUFFER_WAIT_MS);
      batch.send(fd, count, 0, batch.sendStoppedAt);
    }
    this.#io.txDroppedSocketFull += count - batch.sendStoppedAt;
    this.#io.txSendErrors += batch.sendErrors - errorsBefore;
  }

  #publish(): void {
    this.#counters.publish(this.#sender.stats as unknown as Record<string, number>, this.#io);
  }
}
