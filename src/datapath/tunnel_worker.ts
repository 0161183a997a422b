/**
 * The entry of both data-path Workers. The first message says which role this one plays:
 * "tx" (TUN → seal → network, transmit_loop.ts) or "rx" (network → open → TUN,
 * receive_loop.ts). Each Worker loads its own AEAD backend (FFI backends keep per-instance
 * cipher contexts and buffers, and blocking FFI calls block only the Worker making them).
 *
 * Later messages are commands for the loop; they are delivered while the loop yields to the
 * event loop, which it does only when the mailbox says something was posted.
 */
/// <reference lib="deno.worker" />
import { selectTransportAead } from "../crypto/select.ts";
import type { MainToWorker, ReceiverMessage, SenderMessage, WorkerToMain } from "./messages.ts";
import { ReceiveLoop } from "./receive_loop.ts";
import { TransmitLoop } from "./transmit_loop.ts";

const post = (msg: WorkerToMain) => self.postMessage(msg);

let loop: TransmitLoop | ReceiveLoop | undefined;

self.onmessage = (e: MessageEvent<MainToWorker>) => {
  const msg = e.data;
  if (msg.type !== "start") {
    // Commands only ever follow a successful start.
    (loop as { handle(m: SenderMessage | ReceiverMessage | { type: "stop" }): void } | undefined)
      ?.handle(msg);
    return;
  }
  if (loop !== undefined) return;
  try {
    const aead = selectTransportAead(msg.aead);
    loop = msg.role === "tx" ? new TransmitLoop(msg, aead, post) : new ReceiveLoop(msg, aead, post);
    post({ type: "ready", aead: aead.name });
  } catch (err) {
    post({ type: "fatal", message: (err as Error).message });
    return;
  }
  loop.run().then(
    () => post({ type: "stopped" }),
    (err) => post({ type: "fatal", message: `${msg.role} loop: ${(err as Error).message}` }),
  );
};
