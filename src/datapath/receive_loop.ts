/**
 * The RX Worker's loop: network → tunnel. Stage by stage:
 *   1. mail: if the main thread posted (keypairs, endpoints, stop), take it;
 *   2. recvmmsg a batch from each socket (never blocking); with UDP GRO a slot may hold a run
 *      of coalesced datagrams, cut here at the segment size the kernel reports;
 *   3. open, replay-check, inner checks (TransportReceiver) → write each packet to the TUN;
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
import type { ReceiverMessage, WorkerStart, WorkerToMain } from "./messages.ts";
import { SharedCounters } from "./shared_counters.ts";
import { slotSizeFor } from "./slot_size.ts";

/** Datagrams per recvmmsg. */
export const RX_BATCH = 64;
/** Slots per recvmmsg with GRO: each may hold up to 64 KiB of coalesced datagrams. */
export const RX_GRO_BATCH = 16;
/** Longest sleep with nothing to do (only bounds how stale published counters can get). */
const MAX_POLL_MS = 1000;
const PUBLISH_INTERVAL_MS = 20;
/**
 * Handshake messages handed to the main thread per second at most: far above what the control
 * plane's "under load" threshold needs to see to switch to cookies, far below what would make
 * message passing the bottleneck of a flood.
 */
const HANDSHAKE_FORWARD_PER_SECOND = 2048;

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
  readonly #io = newReceiveIoStats();
  readonly #clockOffset: number;
  readonly #tun: TunDevice;
  readonly #post: (m: WorkerToMain) => void;
  #stopping = false;
  #forwardWindowStart = -Infinity;
  #forwardedInWindow = 0;

  constructor(start: WorkerStart, aead: TransportAead, post: (m: WorkerToMain) => void) {
    this.#start = start;
    this.#post = post;
    this.#clockOffset = performance.timeOrigin - start.timeOrigin;
    this.#mail = new MailboxReceiver(start.mailbox, EventFd.fromFd(start.wakeFd));
    this.#counters = SharedCounters.attach(RECEIVE_COUNTER_NAMES, start.counters);
    this.#tun = TunDevice.fromFd(start.tunFd, "");
    const tun = this.#tun;
    const io = this.#io;
    const settings = resolveCoreSettings({ timers: start.timers });
    this.#receiver = new TransportReceiver(
      {
        peers: start.peers,
        activity: activityViews(start.activity, start.peers.length),
        aead,
        timers: settings.timers,
        replayWindow: settings.replayWindow,
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
        writeToTunnel: (_peer, packet) => {
          if (tun.write(packet, packet.length) < 0) io.tunWriteErrors++;
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
      case "stop":
        this.#stopping = true;
        break;
    }
  }

  async run(): Promise<void> {
    const fds = this.#start.sockets.map((s) => s.fd);
    const gro = this.#start.offloads.gro && this.#enableGro();
    // With GRO a slot holds up to 64 KiB of coalesced datagrams.
    const batch = gro
      ? new MmsgBatch({ slots: RX_GRO_BATCH, slotSize: 65536, segmentSizes: true })
      : new MmsgBatch({ slots: RX_BATCH, slotSize: slotSizeFor(this.#start.mtu) });
    const poller = new PollSet([this.#start.wakeFd, ...fds]);
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
        let received = 0;
        for (let s = 0; s < fds.length; s++) {
          const n = batch.recv(fds[s], MSG_DONTWAIT);
          if (n <= 0) {
            if (n < 0 && n !== -EAGAIN && n !== -EINTR) io.rxRecvErrors++;
            continue;
          }
          received += n;
          io.rxBatches++;
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
            if (segment === 0 || segment >= length) {
              receiver.handleDatagram(now, payload.subarray(0, length), from);
              continue;
            }
            // Coalesced by GRO: datagrams of `segment` bytes, the last possibly shorter.
            io.rxCoalesced++;
            for (let at = 0; at < length; at += segment) {
              receiver.handleDatagram(
                now,
                payload.subarray(at, Math.min(length, at + segment)),
                from,
              );
            }
          }
        }
        if (now - lastPublish >= PUBLISH_INTERVAL_MS || received === 0) {
          this.#counters.publish(receiver.stats as unknown as Record<string, number>, io);
          lastPublish = now;
        }
        if (received === 0) {
          const ready = poller.wait(MAX_POLL_MS);
          if (ready < 0 && ready !== -EINTR) throw new Error(`poll failed: errno ${-ready}`);
          if (ready > 0 && (ready & 1) !== 0) this.#mail.clearWake();
        }
      }
    } finally {
      receiver.destroy();
      this.#counters.publish(receiver.stats as unknown as Record<string, number>, io);
    }
  }

  /** Turns UDP_GRO on for every socket; false (and GRO unused) if the kernel refuses it. */
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
