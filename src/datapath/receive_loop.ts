/**
 * The RX Worker's loop: network → tunnel. Stage by stage:
 *   1. mail: if the main thread posted (keypairs, endpoints, stop), take it;
 *   2. recvmmsg a batch from each socket (never blocking); with UDP GRO a slot may hold a run
 *      of coalesced datagrams, cut here at the segment size the kernel reports;
 *   3. open, replay-check, inner checks (TransportReceiver) → write each packet to the TUN;
 *      with TUN offloads, stage it instead, and write the staged packets after each round,
 *      runs of one TCP flow joined into super-packets (TcpCoalescer);
 *      handshake messages go to the main thread (copied: the rare path), capped per second so
 *      a flood cannot swamp the control plane with messages;
 *   4. nothing received: block in poll on the sockets and the wake eventfd.
 * No allocation beyond subarray views, no await or throw per packet; problems are counted.
 */
import { EventFd } from "../../ffi/eventfd.ts";
import { MmsgBatch } from "../../ffi/mmsg.ts";
import { PollSet } from "../../ffi/poll.ts";
import { EAGAIN, EINTR } from "../../ffi/errno.ts";
import { MSG_DONTWAIT, SOL_UDP, UDP_GRO } from "../../ffi/constants.ts";
import { UdpSocket } from "../../ffi/udp.ts";
import { TunDevice } from "../../ffi/tun.ts";
import type { TransportAead } from "../crypto/aead.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { resolveCoreSettings } from "../protocol/core_settings.ts";
import { activityViews } from "../protocol/peer_activity.ts";
import { newReceiverStats } from "../protocol/stats.ts";
import { TransportReceiver } from "../protocol/transport_receiver.ts";
import { MailboxReceiver } from "./mailbox.ts";
import {
  type ReceiverMessage,
  SOCKET_SLOTS,
  type WorkerSocket,
  type WorkerStart,
  type WorkerToMain,
} from "./messages.ts";
import { BondedReceiver } from "./bonded_receiver.ts";
import { bondedReplayWindow } from "../bonding/replay_window_size.ts";
import { SharedCounters } from "./shared_counters.ts";
import { SocketTraffic } from "./socket_traffic.ts";
import { slotSizeFor } from "./slot_size.ts";
import { TcpCoalescer } from "../offload/tcp_coalescer.ts";
import { type SplitPortSide, splitSubflowOf } from "../mptcp/subflow_ports.ts";

/** Datagrams per recvmmsg. */
export const RX_BATCH = 64;
/** Slots per recvmmsg with GRO: each may hold up to 64 KiB of coalesced datagrams. */
export const RX_GRO_BATCH = 16;
/** Longest sleep with nothing to do (only bounds how stale published counters can get). */
const MAX_POLL_MS = 1000;
const PUBLISH_INTERVAL_MS = 20;
/** The worst skew between a bonded peer's paths the replay window allows: the reorder ceiling. */
const BONDED_SKEW_MS = 250;
/** The rate the replay window is sized for. */
const BONDED_WINDOW_BPS = 1e9;
/** What a counter without a packet for the TUN device is pushed with. */
const EMPTY = new Uint8Array(0);
/**
 * Handshake messages handed to the main thread per second at most: far above what the control
 * plane's "under load" threshold needs to see to switch to cookies, far below what would make
 * message passing the bottleneck of a flood.
 */
const HANDSHAKE_FORWARD_PER_SECOND = 2048;
/**
 * Control frames handed to the main thread per second at most. Bonding sends a few dozen a
 * second per path (probes, echoes, reports, hellos); a peer flooding more gains nothing.
 */
const CONTROL_FORWARD_PER_SECOND = 4096;

/** Counters of the RX Worker's own I/O (beside the receiver's). */
export function newReceiveIoStats() {
  return {
    tunWriteErrors: 0,
    rxTruncated: 0,
    rxRecvErrors: 0,
    rxHandshakesForwarded: 0,
    rxHandshakesShed: 0,
    rxBatches: 0,
    /** Slots that held several datagrams coalesced by GRO. */
    rxCoalesced: 0,
    rxControlForwarded: 0,
    rxControlShed: 0,
    /** Bonded peers' packets from a source that is none of their paths (they roam). */
    rxUnknownPath: 0,
    /** Bonded peers' packets under an older keypair: passed on without reordering. */
    rxReorderBypass: 0,
    /** TCP split subflow packets: in order on their own path, passed on without waiting. */
    rxSplitBypass: 0,
    rxReorderReleased: 0,
    rxReorderLost: 0,
    rxReorderLate: 0,
    /** Late packets whose gap had been given up, passed on out of order. */
    rxReorderLateReleased: 0,
    /** The largest timeout added after late arrivals over the bonded peers now, ms. */
    rxReorderExtraMs: 0,
    rxReorderOverflows: 0,
    rxReorderMaxBuffered: 0,
    /** TUN offloads: packets joined into a super-packet, and super-packets written. */
    rxTunJoined: 0,
    rxTunSuperPackets: 0,
    /** Super-packets the TUN device refused: resent segment by segment, joining stopped. */
    rxTunSuperRefused: 0,
  };
}

export const RECEIVE_COUNTER_NAMES: readonly string[] = [
  ...Object.keys(newReceiverStats()),
  ...Object.keys(newReceiveIoStats()),
];

export class ReceiveLoop {
  readonly #start: WorkerStart;
  readonly #receiver: TransportReceiver;
  readonly #mail: MailboxReceiver;
  readonly #counters: SharedCounters;
  readonly #traffic: SocketTraffic;
  readonly #io = newReceiveIoStats();
  readonly #clockOffset: number;
  readonly #tun: TunDevice;
  /** With TUN offloads: where packets wait for the end of the round, joined when they can. */
  readonly #coalescer: TcpCoalescer | undefined;
  readonly #post: (m: WorkerToMain) => void;
  #stopping = false;
  #forwardWindowStart = -Infinity;
  #forwardedInWindow = 0;
  #controlWindowStart = -Infinity;
  #controlInWindow = 0;
  /** The socket the datagram being handled came in on (names the path of control frames). */
  #socket = 0;
  /** Where it came from (the batch's reused endpoint object). */
  #from: Endpoint | undefined;
  /** When the current batch was taken. */
  #clock = 0;
  /** Per peer: its bonding state once the main thread says it bonds. */
  readonly #bonded: (BondedReceiver | undefined)[];
  /** Where packets we receive carry the VPS's port: the router gets them from it. */
  readonly #splitSide: SplitPortSide;
  /** The authenticated packet being handled, while it waits to be put in order. */
  #pending: BondedReceiver | undefined;
  #pendingCounter = 0;
  #pendingBytes = 0;
  /**
   * The path of the packet being handled, set in `transport`: for the pending packet's counts and
   * reorder slot, and for the control callback (also when the packet bypasses the reorder
   * buffer); -1: not a bonded peer's, or no path of it.
   */
  #packetPath = -1;
  /** Per socket slot: the fd, -1 while free. */
  readonly #fds = new Int32Array(SOCKET_SLOTS).fill(-1);
  /** Whether UDP GRO is in use (decided once, at start: it shapes the receive batch). */
  #gro = false;
  /** The wake eventfd and every socket; rebuilt when a socket comes or goes. */
  #poller: PollSet | undefined;

  constructor(start: WorkerStart, aead: TransportAead, post: (m: WorkerToMain) => void) {
    this.#start = start;
    this.#post = post;
    this.#clockOffset = performance.timeOrigin - start.timeOrigin;
    this.#mail = new MailboxReceiver(start.mailbox, EventFd.fromFd(start.wakeFd));
    this.#counters = SharedCounters.attach(RECEIVE_COUNTER_NAMES, start.counters);
    this.#traffic = SocketTraffic.attach(start.socketTraffic, SOCKET_SLOTS);
    this.#tun = TunDevice.fromFd(start.tunFd, "", start.offloads.tun);
    this.#bonded = start.peers.map(() => undefined);
    this.#splitSide = start.daemonRole === "router" ? "source" : "destination";
    const tun = this.#tun;
    this.#coalescer = start.offloads.tun
      ? new TcpCoalescer((buf, length) => tun.write(buf, length))
      : undefined;
    const io = this.#io;
    const settings = resolveCoreSettings({ timers: start.timers });
    this.#receiver = new TransportReceiver(
      {
        peers: start.peers,
        activity: activityViews(start.activity, start.peers.length),
        aead,
        timers: settings.timers,
        // Bonded peers' packets arrive up to the reorder ceiling apart: the window must span
        // what a gigabit sends in that time (stock peers gain nothing from it, and lose nothing).
        replayWindow: Math.max(
          settings.replayWindow,
          bondedReplayWindow(BONDED_SKEW_MS, BONDED_WINDOW_BPS, start.mtu + 32),
        ),
      },
      {
        handshakeMessage: (now, datagram, from) => {
          if (!this.#mayForward(now)) return;
          io.rxHandshakesForwarded++;
          post({ type: "handshake-message", datagram: datagram.slice(), from: from.toString() });
        },
        keypairConfirmed: (_now, peer, localIndex) =>
          post({ type: "keypair-confirmed", peer, localIndex }),
        endpointChanged: (_now, peer, from) =>
          post({ type: "endpoint-changed", peer, from: from.toString() }),
        nearExpiry: (_now, peer) => post({ type: "near-expiry", peer }),
      },
      {
        writeToTunnel: (_peer, packet, length) => {
          const bonded = this.#pending;
          if (bonded !== undefined) {
            this.#pending = undefined;
            if (splitSubflowOf(packet, 0, length, this.#splitSide) >= 0) {
              // A subflow rides one path, FIFO: it is in order already, and must not wait for
              // the other paths' counters (its congestion control would see their delay). Its
              // loss is its congestion control's doing, not the path's: not counted as such.
              bonded.counts.count(
                this.#clock,
                this.#packetPath,
                this.#pendingCounter,
                this.#pendingBytes,
                false,
              );
              bonded.prepare(this.#clock, this.#packetPath, false);
              bonded.reorder.pass(this.#clock, this.#pendingCounter, this.#packetPath);
              io.rxSplitBypass++;
              this.#toTunnel(packet, length);
              return;
            }
            bonded.counts.count(
              this.#clock,
              this.#packetPath,
              this.#pendingCounter,
              this.#pendingBytes,
            );
            bonded.prepare(this.#clock, this.#packetPath, true);
            bonded.reorder.push(
              this.#clock,
              this.#pendingCounter,
              this.#packetPath,
              packet,
              0,
              length,
            );
            return;
          }
          this.#toTunnel(packet, length);
        },
        transport: (peer, counter, bytes, created, duplicate) => {
          this.#packetPath = -1;
          const bonded = this.#bonded[peer];
          if (bonded === undefined) return false;
          const path = bonded.pathOf(this.#socket, this.#from!);
          this.#packetPath = path;
          if (path < 0) {
            io.rxUnknownPath++;
            return false;
          }
          if (!bonded.inOrder(created, counter)) {
            io.rxReorderBypass++;
            return true;
          }
          if (duplicate) {
            bonded.counts.count(this.#clock, path, counter, bytes);
            // A redundant copy: its path is alive and past this counter; nothing to release.
            bonded.prepare(this.#clock, path, true);
            bonded.reorder.push(this.#clock, counter, path, EMPTY, 0, 0);
            return true;
          }
          // Counted once its payload tells what it is (writeToTunnel, or #handle after).
          this.#pending = bonded;
          this.#pendingCounter = counter;
          this.#pendingBytes = bytes;
          return true;
        },
        // The rare path: copied, because the plaintext buffer is reused at once.
        control: (peer, payload, from) => {
          if (!this.#mayForwardControl(this.#now())) return;
          io.rxControlForwarded++;
          post({
            type: "control",
            peer,
            socket: this.#socket,
            from: from.toString(),
            // `transport` resolved its path just before.
            path: this.#packetPath,
            payload: payload.slice(),
          });
        },
      },
    );
  }

  /** A message from the main thread (runs between batches, when the loop yields). */
  handle(msg: ReceiverMessage | { type: "stop" }): void {
    this.#mail.handled();
    const now = this.#now();
    switch (msg.type) {
      case "add-keypair":
        this.#receiver.addKeypair(now, msg.peer, msg.keypair);
        break;
      case "remove-keypair":
        this.#receiver.removeKeypair(now, msg.localIndex);
        break;
      case "set-endpoint":
        this.#receiver.setEndpoint(now, msg.peer, Endpoint.parse(msg.endpoint));
        break;
      case "bond-peer":
        if (this.#bonded[msg.peer] === undefined) {
          this.#bonded[msg.peer] = new BondedReceiver(
            msg.memory,
            this.#start.mtu,
            (buf, offset, length) => {
              this.#toTunnel(offset === 0 ? buf : buf.subarray(offset, offset + length), length);
            },
          );
        }
        break;
      case "set-path":
        this.#bonded[msg.peer]?.setPath(msg.path, msg.socket, msg.endpoint);
        break;
      case "open-socket":
        this.#openSocket(msg.slot, msg.socket);
        this.#rebuildPoller();
        break;
      case "release-socket":
        if (msg.slot >= 0 && msg.slot < SOCKET_SLOTS) {
          this.#fds[msg.slot] = -1;
          this.#rebuildPoller();
        }
        this.#post({ type: "socket-released", slot: msg.slot });
        break;
      case "stop":
        this.#stopping = true;
        break;
    }
  }

  async run(): Promise<void> {
    const fds = this.#fds;
    this.#gro = this.#start.offloads.gro && this.#enableGro();
    // #enableGro already turned GRO on for these.
    this.#start.sockets.forEach((s, slot) => this.#openSocket(slot, s, false));
    this.#rebuildPoller();
    // With GRO a slot holds up to 64 KiB of coalesced datagrams.
    const batch = this.#gro
      ? new MmsgBatch({ slots: RX_GRO_BATCH, slotSize: 65536, segmentSizes: true })
      : new MmsgBatch({ slots: RX_BATCH, slotSize: slotSizeFor(this.#start.mtu) });
    const receiver = this.#receiver;
    const io = this.#io;
    let lastPublish = -Infinity;
    try {
      while (!this.#stopping) {
        if (this.#mail.waiting) {
          await this.#mail.deliver();
          if (this.#stopping) break;
        }
        const now = this.#now();
        this.#clock = now;
        let received = 0;
        for (let s = 0; s < SOCKET_SLOTS; s++) {
          if (fds[s] < 0) continue;
          const n = batch.recv(fds[s], MSG_DONTWAIT);
          if (n <= 0) {
            if (n < 0 && n !== -EAGAIN && n !== -EINTR) io.rxRecvErrors++;
            continue;
          }
          received += n;
          io.rxBatches++;
          this.#socket = s;
          let bytes = 0, datagrams = 0;
          for (let i = 0; i < n; i++) {
            if (batch.isTruncated(i)) {
              // Longer than any packet of our MTU: not ours, or not worth opening.
              io.rxTruncated++;
              continue;
            }
            const length = batch.lengths[i];
            const payload = batch.payloads[i];
            const from = batch.endpoints[i];
            const segment = batch.segmentSizes[i];
            bytes += length;
            datagrams += segment === 0 || segment >= length ? 1 : Math.ceil(length / segment);
            this.#from = from;
            if (segment === 0 || segment >= length) {
              this.#handle(now, payload.subarray(0, length), from);
              continue;
            }
            // Coalesced by GRO: datagrams of `segment` bytes, the last possibly shorter.
            io.rxCoalesced++;
            for (let at = 0; at < length; at += segment) {
              this.#handle(now, payload.subarray(at, Math.min(length, at + segment)), from);
            }
          }
          this.#traffic.received(s, bytes, datagrams);
        }
        const waitMs = this.#tickReorder(this.#now());
        this.#coalescer?.flush();
        if (now - lastPublish >= PUBLISH_INTERVAL_MS || received === 0) {
          this.#publish();
          lastPublish = now;
        }
        if (received === 0) {
          const ready = this.#poller!.wait(waitMs);
          if (ready < 0 && ready !== -EINTR) throw new Error(`poll failed: errno ${-ready}`);
          if (ready > 0 && (ready & 1) !== 0) this.#mail.clearWake();
        }
      }
    } finally {
      receiver.destroy();
      this.#publish();
    }
  }

  /** An IP packet for the TUN device: written now, or staged until the round ends. */
  #toTunnel(packet: Uint8Array, length: number): void {
    const coalescer = this.#coalescer;
    if (coalescer !== undefined) coalescer.push(packet, length);
    else if (this.#tun.write(packet, length) < 0) this.#io.tunWriteErrors++;
  }

  /** One datagram; an authenticated packet that gave the TUN nothing still takes its turn. */
  #handle(now: number, datagram: Uint8Array, from: Endpoint): void {
    this.#receiver.handleDatagram(now, datagram, from);
    const bonded = this.#pending;
    if (bonded !== undefined) {
      this.#pending = undefined;
      bonded.counts.count(now, this.#packetPath, this.#pendingCounter, this.#pendingBytes);
      bonded.prepare(now, this.#packetPath, false);
      bonded.reorder.push(now, this.#pendingCounter, this.#packetPath, EMPTY, 0, 0);
    }
  }

  /** Releases what the reorder buffers' timeouts allow; returns how long poll may sleep. */
  #tickReorder(now: number): number {
    let wait = MAX_POLL_MS;
    for (const bonded of this.#bonded) {
      if (bonded === undefined) continue;
      const reorder = bonded.reorder;
      if (now >= reorder.nextDeadline(now)) reorder.tick(now);
      const deadline = reorder.nextDeadline(now);
      if (deadline - now < wait) wait = Math.max(0, Math.ceil(deadline - now));
    }
    return wait;
  }

  #publish(): void {
    const io = this.#io;
    let released = 0, lost = 0, late = 0, lateReleased = 0, overflows = 0, maxBuffered = 0;
    let extra = 0;
    const now = this.#now();
    for (const bonded of this.#bonded) {
      if (bonded === undefined) continue;
      const st = bonded.reorder.stats;
      released += st.released;
      lost += st.lost;
      late += st.late;
      lateReleased += st.lateReleased;
      extra = Math.max(extra, Math.round(bonded.reorder.extraAt(now)));
      overflows += st.overflows;
      if (st.maxBuffered > maxBuffered) maxBuffered = st.maxBuffered;
    }
    io.rxReorderReleased = released;
    io.rxReorderLost = lost;
    io.rxReorderLate = late;
    io.rxReorderLateReleased = lateReleased;
    io.rxReorderExtraMs = extra;
    io.rxReorderOverflows = overflows;
    io.rxReorderMaxBuffered = maxBuffered;
    const coalesced = this.#coalescer?.stats;
    if (coalesced !== undefined) {
      io.rxTunJoined = coalesced.joined;
      io.rxTunSuperPackets = coalesced.superPackets;
      io.rxTunSuperRefused = coalesced.refusedSuperPackets;
      io.tunWriteErrors = coalesced.writeErrors;
    }
    this.#counters.publish(this.#receiver.stats as unknown as Record<string, number>, io);
  }

  /** Slot `slot` gets a socket (GRO on for it when in use, unless `setGro` is false). */
  #openSocket(slot: number, socket: WorkerSocket, setGro = true): void {
    if (slot < 0 || slot >= SOCKET_SLOTS) return;
    if (this.#gro && setGro) {
      try {
        UdpSocket.fromFd(socket.fd, socket.family).setIntOption(SOL_UDP, UDP_GRO, 1, "UDP_GRO");
      } catch (err) {
        // The batch is sized for coalesced slots either way; plain datagrams fit too.
        this.#post({
          type: "log",
          level: "info",
          message: `UDP receive offload refused on a new socket: ${(err as Error).message}`,
        });
      }
    }
    this.#fds[slot] = socket.fd;
    this.#traffic.resetReceived(slot);
  }

  /** The poll set: the wake eventfd first (bit 0 of what poll reports), then each socket. */
  #rebuildPoller(): void {
    const fds = [this.#start.wakeFd];
    for (const fd of this.#fds) if (fd >= 0) fds.push(fd);
    this.#poller = new PollSet(fds);
  }

  /** Whether the kernel takes UDP_GRO (tried on every socket at start); false: GRO unused. */
  #enableGro(): boolean {
    try {
      for (const s of this.#start.sockets) {
        UdpSocket.fromFd(s.fd, s.family).setIntOption(SOL_UDP, UDP_GRO, 1, "UDP_GRO");
      }
      return true;
    } catch (err) {
      this.#post({
        type: "log",
        level: "info",
        message: `UDP receive offload unavailable: ${(err as Error).message}`,
      });
      return false;
    }
  }

  #now(): number {
    return performance.now() + this.#clockOffset;
  }

  #mayForwardControl(now: number): boolean {
    if (now - this.#controlWindowStart >= 1000) {
      this.#controlWindowStart = now;
      this.#controlInWindow = 0;
    }
    if (this.#controlInWindow >= CONTROL_FORWARD_PER_SECOND) {
      this.#io.rxControlShed++;
      return false;
    }
    this.#controlInWindow++;
    return true;
  }

  #mayForward(now: number): boolean {
    if (now - this.#forwardWindowStart >= 1000) {
      this.#forwardWindowStart = now;
      this.#forwardedInWindow = 0;
    }
    if (this.#forwardedInWindow >= HANDSHAKE_FORWARD_PER_SECOND) {
      this.#io.rxHandshakesShed++;
      return false;
    }
    this.#forwardedInWindow++;
    return true;
  }
}
