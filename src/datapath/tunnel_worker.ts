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
import type { ReceiveLoop } from "./receive_loop.ts";
import type { TransmitLoop } from "./transmit_loop.ts";
import { collectStartupGarbage } from "../v8_flags.ts";

const post = (msg: WorkerToMain) => self.postMessage(msg);

let loop: TransmitLoop | ReceiveLoop | undefined;
let started = false;

self.onmessage = async (e: MessageEvent<MainToWorker>) => {
  const msg = e.data;
  if (msg.type !== "start") {
    // Commands only ever follow a successful start (the main thread waits for "ready").
    (loop as { handle(m: SenderMessage | ReceiverMessage | { type: "stop" }): void } | undefined)
      ?.handle(msg);
    return;
  }
  if (started) return;
  started = true;
  try {
    const aead = await selectTransportAead(msg.aead);
    // Each Worker loads only its own loop's modules: the other's code would sit in its heap.
    loop = msg.role === "tx"
      ? new (await import("./transmit_loop.ts")).TransmitLoop(msg, aead, post)
      : new (await import("./receive_loop.ts")).ReceiveLoop(msg, aead, post);
    collectStartupGarbage();
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
