/**
 * The tunnel's data path, in one Worker: the WireGuard core driven by blocking FFI I/O.
 *
 * One loop, four stages, no allocation per packet:
 *   1. poll(2) on the UDP sockets, the TUN fd and the wake eventfd, with a timeout up to the
 *      core's next timer deadline;
 *   2. network → recvmmsg a batch → core.handleDatagram (opens, replay-checks, and writes the
 *      inner packets to the TUN through the sink);
 *   3. TUN → read packets straight into the send batch's slots, behind 16 bytes of headroom, so
 *      the core writes the WireGuard header and seals in place (no copy) → sendmmsg;
 *   4. timers (handshake retries, keepalives, rekeys) when their deadline passes.
 *
 * Blocking here blocks only this Worker. Messages from the main thread (status, stop) are
 * announced by a write to the wake eventfd; the loop then yields to the event loop once so the
 * message handler runs.
 */
/// <reference lib="deno.worker" />
import { EventFd } from "../../ffi/eventfd.ts";
import { MmsgBatch } from "../../ffi/mmsg.ts";
import { PollSet } from "../../ffi/poll.ts";
import { EAGAIN, EINTR } from "../../ffi/errno.ts";
import { MSG_DONTWAIT } from "../../ffi/constants.ts";
import { TunDevice } from "../../ffi/tun.ts";
import { Core, type CoreSink, type Peer } from "../protocol/core.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { encodeKey } from "../protocol/keys.ts";
import { selectTransportAead } from "../crypto/select.ts";
import type { MainToWorker, StartMessage, TunnelStatus, WorkerToMain } from "./messages.ts";

/** Bytes in front of each TUN packet for the transport header (type, index, counter). */
const HEADROOM = 16;
/** Packets per batch in each direction. */
const BATCH = 64;
/** Longest sleep when no timer is due: bounds how stale a status snapshot can be. */
const MAX_POLL_MS = 1000;

const post = (msg: WorkerToMain) => self.postMessage(msg);

let stopRequested = false;
let pending: MainToWorker[] = [];
let loopStarted = false;
let statusOf: ((id: number) => void) | undefined;

self.onmessage = (e: MessageEvent<MainToWorker>) => {
  const msg = e.data;
  if (msg.type === "start") {
    if (loopStarted) return;
    loopStarted = true;
    run(msg).catch((err) => {
      post({ type: "fatal", message: (err as Error).message });
    });
  } else {
    pending.push(msg);
  }
};

function handlePending(): void {
  const msgs = pending;
  pending = [];
  for (const msg of msgs) {
    if (msg.type === "stop") stopRequested = true;
    else if (msg.type === "status") statusOf?.(msg.id);
  }
}

/** Lets queued onmessage events run (they are delivered only between tasks). */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function run(start: StartMessage): Promise<void> {
  const aead = selectTransportAead(start.aead);
  const tun = TunDevice.fromFd(start.tunFd, "");
  tun.setNonBlocking(true);
  const wake = EventFd.fromFd(start.wakeFd);

  const socketFds = start.sockets.map((s) => s.fd);
  // poll slots: [wake, tun, ...sockets]
  const poller = new PollSet([start.wakeFd, start.tunFd, ...socketFds]);
  const rx = new MmsgBatch({ slots: BATCH, slotSize: 2048 });
  const tx = start.sockets.map((s) =>
    new MmsgBatch({ slots: BATCH, slotSize: 2048, headroom: HEADROOM, v6Socket: s.family === 6 })
  );
  const txCount = new Int32Array(tx.length);
  /** Which tx batch carries datagrams to each family. */
  const txFor = (family: 4 | 6): number => {
    const i = start.sockets.findIndex((s) => s.family === family);
    return i >= 0 ? i : -1;
  };
  const tx4 = txFor(4), tx6 = txFor(6);

  const counters = { tunWriteErrors: 0, sendErrors: 0, noSocketForFamily: 0, tunReadErrors: 0 };

  // The send slot the TUN packet being processed was read into: when the core hands back a
  // datagram inside that slot, it is sent from there without a copy.
  let inPlaceBatch = -1;
  let inPlaceSlot = -1;
  const flush = (b: number) => {
    if (txCount[b] === 0) return;
    tx[b].send(start.sockets[b].fd, txCount[b]);
    txCount[b] = 0;
  };

  const sink: CoreSink = {
    sendToNetwork(_peer: Peer, to: Endpoint, datagram: Uint8Array): void {
      const b = to.family === 4 ? tx4 : tx6;
      if (b < 0) {
        counters.noSocketForFamily++;
        return;
      }
      const batch = tx[b];
      if (txCount[b] === batch.slots) flush(b);
      const slot = txCount[b];
      const buf = batch.buffers[slot];
      if (inPlaceBatch === b && inPlaceSlot === slot && datagram.buffer === buf.buffer) {
        // Sealed in place inside this very slot: just describe it.
        batch.setSend(slot, datagram.byteOffset - buf.byteOffset, datagram.length, to);
      } else {
        if (datagram.length > buf.length) {
          counters.sendErrors++;
          return;
        }
        buf.set(datagram, 0);
        batch.setSend(slot, 0, datagram.length, to);
      }
      txCount[b] = slot + 1;
    },
    writeToTunnel(_peer: Peer, packet: Uint8Array): void {
      if (tun.write(packet, packet.length) < 0) counters.tunWriteErrors++;
    },
    event(event) {
      const peer = "peer" in event && event.peer ? (event.peer as Peer).name : undefined;
      post({
        type: "log",
        level: event.type === "handshake-complete" ? "info" : "debug",
        message: event.type,
        fields: peer ? { peer } : undefined,
      });
    },
  };

  const epochOffsetMs = start.epochOffsetMs;
  const core = new Core({
    privateKey: start.privateKey,
    peers: start.peers.map((p) => ({
      name: p.name,
      publicKey: p.publicKey,
      presharedKey: p.presharedKey,
      endpoint: p.endpoint ? Endpoint.parse(p.endpoint) : undefined,
      allowedIps: p.allowedIps,
      persistentKeepalive: p.persistentKeepalive,
    })),
    random: (buf) => crypto.getRandomValues(buf),
    epochOffsetMs,
    aead,
    timers: start.timers,
  }, sink);

  statusOf = (id: number) =>
    post({ type: "status", id, status: snapshot(core, aead.name, counters) });
  post({ type: "ready", aead: aead.name });

  // The staging slot for TUN reads: the next free slot of the batch of the peer's family is not
  // known before routing, so read into the v4 batch if it exists, else the v6 one; a packet
  // routed to the other family is copied by the sink.
  const stageBatch = tx4 >= 0 ? tx4 : tx6;

  try {
    while (!stopRequested) {
      let now = performance.now();
      const wait = Math.max(0, Math.min(MAX_POLL_MS, Math.ceil(core.nextDeadline() - now)));
      const ready = poller.wait(wait);
      now = performance.now();
      if (ready < 0) {
        if (ready === -EINTR) continue;
        throw new Error(`poll failed: errno ${-ready}`);
      }
      if (ready & 1) {
        wake.drain();
        await yieldToMessages();
        handlePending();
        if (stopRequested) break;
      }
      // Network → TUN.
      for (let s = 0; s < socketFds.length; s++) {
        if ((ready & (1 << (s + 2))) === 0) continue;
        for (let round = 0; round < 4; round++) {
          const n = rx.recv(socketFds[s], MSG_DONTWAIT);
          if (n <= 0) break;
          for (let i = 0; i < n; i++) {
            if (rx.isTruncated(i)) continue; // oversized: the core would reject it anyway
            core.handleDatagram(now, rx.payloads[i].subarray(0, rx.lengths[i]), rx.endpoints[i]);
          }
          if (n < rx.slots) break;
        }
      }
      // TUN → network.
      if ((ready & 2) !== 0 && stageBatch >= 0) {
        for (let i = 0; i < BATCH; i++) {
          const batch = tx[stageBatch];
          if (txCount[stageBatch] === batch.slots) flush(stageBatch);
          const slot = txCount[stageBatch];
          const buf = batch.buffers[slot];
          // Leave 16 + 15 bytes of tailroom for padding and the tag.
          const n = tun.read(buf.subarray(HEADROOM, buf.length - 32));
          if (n <= 0) {
            if (n < 0 && n !== -EAGAIN && n !== -EINTR) counters.tunReadErrors++;
            break;
          }
          inPlaceBatch = stageBatch;
          inPlaceSlot = slot;
          core.handleTunnelPacket(now, buf, HEADROOM, n);
          inPlaceBatch = -1;
          inPlaceSlot = -1;
        }
      }
      if (now >= core.nextDeadline()) core.tick(now);
      for (let b = 0; b < tx.length; b++) flush(b);
      counters.sendErrors = tx.reduce((sum, t) => sum + t.sendErrors, 0);
    }
  } finally {
    core.destroy();
    post({ type: "stopped" });
  }
}

function snapshot(core: Core, aead: string, extra: Record<string, number>): TunnelStatus {
  const now = performance.now();
  return {
    aead,
    peers: core.peers.map((p) => ({
      name: p.name,
      publicKey: encodeKey(p.publicKey),
      endpoint: p.endpoint?.toString(),
      handshakeAgeMs: p.lastHandshakeMs === undefined ? undefined : now - p.lastHandshakeMs,
      rxBytes: p.rxBytes,
      txBytes: p.txBytes,
      rxPackets: p.rxPackets,
      txPackets: p.txPackets,
    })),
    counters: { ...(core.stats as unknown as Record<string, number>), ...extra },
  };
}

// Tell the main thread the module loaded (it then sends "start").
post({ type: "log", level: "debug", message: "worker loaded" });
