/**
 * The main thread's handle on the tunnel worker: starts it with the fds and keys, relays its
 * log lines, answers status queries, and stops it promptly (a write to the wake eventfd
 * interrupts its blocking poll; `terminate()` alone could not).
 */
import { EventFd } from "../../ffi/eventfd.ts";
import { log } from "../log.ts";
import type { StartMessage, TunnelStatus, WorkerToMain } from "./messages.ts";

/** How long a stopping worker may take before it is terminated regardless. */
const STOP_GRACE_MS = 1000;

export class DataPath {
  readonly #worker: Worker;
  readonly #wake: EventFd;
  readonly #statusWaiters = new Map<number, (s: TunnelStatus) => void>();
  #nextId = 1;
  #stopped: Promise<void>;
  #resolveStopped!: () => void;
  #failure: ((message: string) => void) | undefined;
  aead = "";

  private constructor(worker: Worker, wake: EventFd) {
    this.#worker = worker;
    this.#wake = wake;
    this.#stopped = new Promise((r) => (this.#resolveStopped = r));
  }

  /**
   * Starts the worker and resolves once it runs (keys loaded, AEAD backend chosen).
   * `onFatal` is called if the worker dies later.
   */
  static async start(
    start: Omit<StartMessage, "type" | "wakeFd">,
    onFatal: (message: string) => void,
  ): Promise<DataPath> {
    const wake = EventFd.create();
    const worker = new Worker(new URL("./tunnel_worker.ts", import.meta.url), { type: "module" });
    const dp = new DataPath(worker, wake);
    const ready = new Promise<string>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<WorkerToMain>) => {
        const msg = e.data;
        switch (msg.type) {
          case "ready":
            resolve(msg.aead);
            break;
          case "log":
            log(msg.level, "datapath", msg.message, msg.fields);
            break;
          case "status":
            dp.#statusWaiters.get(msg.id)?.(msg.status);
            dp.#statusWaiters.delete(msg.id);
            break;
          case "stopped":
            dp.#resolveStopped();
            break;
          case "fatal":
            reject(new Error(msg.message));
            dp.#failure?.(msg.message);
            dp.#resolveStopped();
            break;
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        const message = `data path worker failed: ${e.message}`;
        reject(new Error(message));
        dp.#failure?.(message);
        dp.#resolveStopped();
      };
    });
    worker.postMessage({ type: "start", wakeFd: wake.fd, ...start } satisfies StartMessage);
    try {
      dp.aead = await ready;
    } catch (err) {
      worker.terminate();
      wake.close();
      throw err;
    }
    dp.#failure = onFatal;
    return dp;
  }

  /** A snapshot of peers and counters from the worker. */
  status(timeoutMs = 2000): Promise<TunnelStatus> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#statusWaiters.delete(id);
        reject(new Error("data path did not answer a status request"));
      }, timeoutMs);
      this.#statusWaiters.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.#worker.postMessage({ type: "status", id });
      this.#wake.signal();
    });
  }

  /** Stops the worker (keys zeroed there) within STOP_GRACE_MS. Safe to call twice. */
  async stop(): Promise<void> {
    this.#failure = undefined;
    this.#worker.postMessage({ type: "stop" });
    this.#wake.signal();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#stopped,
      new Promise<void>((r) => (timer = setTimeout(r, STOP_GRACE_MS))),
    ]);
    clearTimeout(timer);
    this.#worker.terminate();
    this.#wake.close();
  }
}
