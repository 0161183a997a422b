/**
 * Telling a data-path Worker that a message waits for it, at no cost per packet.
 *
 * A Worker spends its life in blocking FFI calls and a loop that never yields to its event
 * loop, so `onmessage` would never run. The main thread therefore counts every message it
 * posts in shared memory and signals the Worker's eventfd (which wakes a blocked `poll`). The
 * Worker compares that count with the messages it has handled once per batch (one load), and
 * only when they differ does it yield to its event loop until the messages have arrived.
 */
import { EventFd } from "../../ffi/eventfd.ts";

/** Longest a Worker waits for messages it was told about (they are already in flight). */
const DELIVERY_TIMEOUT_MS = 1000;

/** The main thread's end: post, count, wake. */
export class MailboxSender {
  readonly #worker: Worker;
  readonly #wake: EventFd;
  readonly #posted: Int32Array;

  constructor(worker: Worker, wake: EventFd, counter: SharedArrayBuffer) {
    this.#worker = worker;
    this.#wake = wake;
    this.#posted = new Int32Array(counter);
  }

  /** Posts `message` (transferring `transfer`) and wakes the Worker. */
  post(message: unknown, transfer: Transferable[] = []): void {
    this.#worker.postMessage(message, transfer);
    Atomics.add(this.#posted, 0, 1);
    this.#wake.signal();
  }
}

/** The Worker's end: is there mail, and wait until it has been delivered. */
export class MailboxReceiver {
  readonly #posted: Int32Array;
  readonly #wake: EventFd;
  #handled = 0;

  constructor(counter: SharedArrayBuffer, wake: EventFd) {
    this.#posted = new Int32Array(counter);
    this.#wake = wake;
  }

  /** Shared memory for one mailbox counter. */
  static counter(): SharedArrayBuffer {
    return new SharedArrayBuffer(4);
  }

  /** Call from `onmessage` for every message counted by `MailboxSender.post`. */
  handled(): void {
    this.#handled++;
  }

  /** One load: whether messages were posted that `onmessage` has not handled yet. */
  get waiting(): boolean {
    return Atomics.load(this.#posted, 0) !== this.#handled;
  }

  /**
   * Resets the wake eventfd; call whenever poll reports it readable. The main thread signals
   * after counting, so a signal can land after `deliver` has handled its message: left set,
   * it would make every later poll return at once.
   */
  clearWake(): void {
    this.#wake.drain();
  }

  /**
   * Resets the wake eventfd and yields to the event loop until every posted message has been
   * handled (bounded by DELIVERY_TIMEOUT_MS: a message cannot get lost, only be slow).
   */
  async deliver(): Promise<void> {
    this.#wake.drain();
    const deadline = performance.now() + DELIVERY_TIMEOUT_MS;
    while (this.waiting && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
