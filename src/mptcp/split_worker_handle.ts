/**
 * The main thread's handle on the TCP split's Worker (split_worker.ts): starts it (resolving
 * once it listens), tells a router's Worker where the VPS listens, writes its log lines, reads
 * its figures from shared memory, and stops it (every connection reset, the listeners closed).
 */
import type { Logger } from "../log.ts";
import { getLogLevel } from "../log.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { sharedSplitStats, SPLIT_STATS_BYTES, type SplitStats } from "./split_end.ts";
import type { MainToSplitWorker, SplitRole, SplitWorkerToMain } from "./split_worker_messages.ts";

/** How long a stopping Worker may take to reset its connections before it is terminated. */
const STOP_TIMEOUT_MS = 5000;

export class SplitWorkerHandle {
  /** The Worker's figures, live. */
  readonly stats: SplitStats;
  /**
   * Router: the VPS refused a connection to `target`, which is cleared (RouterSplit's
   * onTargetRefused, passed on).
   */
  onTargetRefused: ((target: Endpoint) => void) | undefined;
  /** The Worker died after it started: no connection is split any more. */
  onFailed: ((message: string) => void) | undefined;
  readonly #worker: Worker;
  /** Where the Worker counts `stats`. */
  readonly #buffer: SharedArrayBuffer;
  readonly #log: Logger;
  #target: Endpoint | undefined;
  readonly #stopped: Promise<void>;
  #markStopped!: () => void;
  #running = true;

  private constructor(log: Logger) {
    const buffer = new SharedArrayBuffer(SPLIT_STATS_BYTES);
    this.stats = sharedSplitStats(buffer);
    this.#log = log;
    this.#stopped = new Promise((resolve) => (this.#markStopped = resolve));
    this.#worker = new Worker(new URL("./split_worker.ts", import.meta.url), { type: "module" });
    this.#buffer = buffer;
  }

  /** Starts the Worker for `role`; resolves once it listens, rejects with why it cannot. */
  static start(role: SplitRole, log: Logger): Promise<SplitWorkerHandle> {
    const handle = new SplitWorkerHandle(log);
    return new Promise((resolve, reject) => {
      let started = false;
      const fail = (message: string) => {
        const wasRunning = handle.#running;
        handle.#running = false;
        handle.#markStopped();
        handle.#worker.terminate();
        if (!started) reject(new Error(message));
        else if (wasRunning) handle.onFailed?.(message);
      };
      handle.#worker.onmessage = (e: MessageEvent<SplitWorkerToMain>) => {
        const msg = e.data;
        switch (msg.type) {
          case "ready":
            started = true;
            resolve(handle);
            return;
          case "failed":
            fail(msg.message);
            return;
          case "log":
            handle.#log[msg.level](msg.message, msg.fields);
            return;
          case "target-refused":
            handle.#refused(msg.target);
            return;
          case "stopped":
            handle.#markStopped();
            return;
        }
      };
      handle.#worker.onerror = (e: ErrorEvent) => {
        // Handled here: unhandled, a Worker's error would end the whole process.
        e.preventDefault();
        fail(`TCP split worker: ${e.message}`);
      };
      handle.#post({ type: "start", ...role, stats: handle.#buffer, logLevel: getLogLevel() });
    });
  }

  /** Router: the VPS's listener new connections go to; none while undefined (they are reset). */
  get target(): Endpoint | undefined {
    return this.#target;
  }

  set target(target: Endpoint | undefined) {
    this.#target = target?.clone();
    this.#post({ type: "target", target: target?.toString() ?? null });
  }

  /** Resets every connection and closes the listeners; the Worker is gone after. */
  async stop(): Promise<void> {
    if (this.#running) {
      this.#running = false;
      this.#post({ type: "stop" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
      });
      const slow = await Promise.race([this.#stopped.then(() => false), late]);
      clearTimeout(timer);
      if (slow) this.#log.warn(`TCP split worker did not stop in ${STOP_TIMEOUT_MS} ms`);
    }
    this.#worker.terminate();
  }

  #refused(text: string): void {
    const target = Endpoint.parse(text);
    // A newer offer may have named another listener meanwhile: that one stays.
    if (!this.#target?.equals(target)) return;
    this.#target = undefined;
    this.onTargetRefused?.(target);
  }

  #post(msg: MainToSplitWorker): void {
    if (this.#running || msg.type === "stop") this.#worker.postMessage(msg);
  }
}
