/**
 * The main thread's handle on one data-path Worker: starts it, waits until it runs, posts
 * commands (waking it), relays its log lines and reports, and stops it promptly (a write to its
 * wake eventfd interrupts its blocking poll; `terminate()` alone could not).
 */
import { EventFd } from "../../ffi/eventfd.ts";
import { log } from "../log.ts";
import { MailboxReceiver, MailboxSender } from "./mailbox.ts";
import type {
  MainToWorker,
  ReceiverReport,
  SenderReport,
  WorkerRole,
  WorkerStart,
  WorkerToMain,
} from "./messages.ts";
import { SharedCounters } from "./shared_counters.ts";

export type WorkerStartFields = Omit<
  WorkerStart,
  "type" | "role" | "wakeFd" | "mailbox" | "counters"
>;

export class WorkerHandle {
  readonly role: WorkerRole;
  readonly counters: SharedCounters;
  /** The AEAD backend the Worker loaded ("openssl", ...), once ready. */
  aead = "";
  readonly #worker: Worker;
  readonly #wake: EventFd;
  readonly #mail: MailboxSender;
  readonly #stopped: Promise<void>;
  #markStopped!: () => void;
  #onFatal: ((message: string) => void) | undefined;
  #closed = false;

  private constructor(
    role: WorkerRole,
    counterNames: readonly string[],
    mailbox: SharedArrayBuffer,
  ) {
    this.role = role;
    this.counters = SharedCounters.create(counterNames);
    this.#wake = EventFd.create();
    this.#worker = new Worker(new URL("./tunnel_worker.ts", import.meta.url), { type: "module" });
    this.#mail = new MailboxSender(this.#worker, this.#wake, mailbox);
    this.#stopped = new Promise((resolve) => (this.#markStopped = resolve));
  }

  /**
   * Starts a Worker in `role`; resolves once it runs (its AEAD backend loaded). `onReport`
   * gets its reports (handshake requests, handshake messages...); `onFatal` its death after
   * start (a failure before start rejects instead).
   */
  static async spawn(
    role: WorkerRole,
    fields: WorkerStartFields,
    counterNames: readonly string[],
    onReport: (report: SenderReport | ReceiverReport) => void,
  ): Promise<WorkerHandle> {
    const mailbox = MailboxReceiver.counter();
    const handle = new WorkerHandle(role, counterNames, mailbox);
    const ready = new Promise<string>((resolve, reject) => {
      const failed = (message: string) => {
        reject(new Error(message));
        handle.#onFatal?.(message);
        handle.#markStopped();
      };
      handle.#worker.onmessage = (e: MessageEvent<WorkerToMain>) => {
        const msg = e.data;
        switch (msg.type) {
          case "ready":
            resolve(msg.aead);
            break;
          case "log":
            log(msg.level, `datapath ${role}`, msg.message, msg.fields);
            break;
          case "stopped":
            handle.#markStopped();
            break;
          case "fatal":
            failed(msg.message);
            break;
          default:
            onReport(msg);
        }
      };
      handle.#worker.onerror = (e) => {
        e.preventDefault();
        failed(`data path ${role} worker failed: ${e.message}`);
      };
    });
    handle.#worker.postMessage(
      {
        type: "start",
        role,
        wakeFd: handle.#wake.fd,
        mailbox,
        counters: handle.counters.buffer,
        ...fields,
      } satisfies WorkerStart,
    );
    try {
      handle.aead = await ready;
    } catch (err) {
      handle.#close();
      throw err;
    }
    return handle;
  }

  /** Called when the Worker dies after start (not after `stop`). */
  set onFatal(fn: ((message: string) => void) | undefined) {
    this.#onFatal = fn;
  }

  /** Posts a command and wakes the Worker. `transfer`: buffers handed over (keys). */
  post(msg: MainToWorker, transfer: Transferable[] = []): void {
    if (this.#closed) return;
    this.#mail.post(msg, transfer);
  }

  /** Asks the Worker to stop (keys zeroed there); resolves once it did or `graceMs` passed. */
  async stop(graceMs: number): Promise<void> {
    this.#onFatal = undefined;
    this.post({ type: "stop" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      this.#stopped.then(() => "stopped" as const),
      new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), graceMs))),
    ]);
    clearTimeout(timer);
    if (outcome === "late") {
      log("warn", "datapath", `${this.role} worker did not stop within ${graceMs} ms; terminated`);
    }
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    this.#wake.close();
  }
}
