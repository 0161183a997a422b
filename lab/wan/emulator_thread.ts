/**
 * The emulator main thread's handle on its packet Worker: starts it on two TUN fds, passes new
 * settings, asks for counters, stops it. Requests go through shared memory (control_block.ts)
 * followed by a write to the wake eventfd, because the Worker sits in a blocking ppoll(2)
 * that only a file descriptor can end; answers come back as messages.
 */
import { EventFd } from "../../ffi/eventfd.ts";
import { ControlBlock } from "./control_block.ts";
import type { LinkStats, StartMessage, WorkerToMain } from "./emulator_messages.ts";
import type { LinkSettings } from "./wan_settings.ts";

const STOP_GRACE_MS = 1000;
/** How long the Worker may take to answer; it answers at its next wake-up, within microseconds. */
const ANSWER_TIMEOUT_MS = 2000;

export interface EmulatorStart {
  upFd: number;
  downFd: number;
  slots: number;
  slotSize: number;
  settings: LinkSettings;
  seed?: number;
  /** SCHED_FIFO priority for the packet Worker's thread; absent: an ordinary thread. */
  realtimePriority?: number;
}

/** Resolves waiters once a sequence number reaches theirs. */
class SeqWaiters<T> {
  #waiting: { seq: number; resolve: (value: T) => void }[] = [];

  wait(seq: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w.resolve !== done);
        reject(
          new Error(`WAN emulator worker did not answer (${what}) within ${ANSWER_TIMEOUT_MS} ms`),
        );
      }, ANSWER_TIMEOUT_MS);
      const done = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.#waiting.push({ seq, resolve: done });
    });
  }

  reached(seq: number, value: T): void {
    const due = this.#waiting.filter((w) => w.seq <= seq);
    this.#waiting = this.#waiting.filter((w) => w.seq > seq);
    for (const w of due) w.resolve(value);
  }
}

export class EmulatorThread {
  readonly #worker: Worker;
  readonly #wake: EventFd;
  readonly #control: ControlBlock;
  readonly #configured = new SeqWaiters<void>();
  readonly #stats = new SeqWaiters<LinkStats>();
  /** Settings changes, one after another (see control_block.ts: one writer at a time). */
  #configuring: Promise<void> = Promise.resolve();
  readonly #stopped: Promise<void>;
  #resolveStopped!: () => void;
  #onFatal: ((message: string) => void) | undefined;
  /** Whether the packet loop runs SCHED_FIFO, or why not. */
  realtime: true | string = "not asked";

  private constructor(worker: Worker, wake: EventFd, control: ControlBlock) {
    this.#worker = worker;
    this.#wake = wake;
    this.#control = control;
    this.#stopped = new Promise((r) => (this.#resolveStopped = r));
  }

  /** Starts the Worker; resolves once its loop runs. `onFatal` hears of a later death. */
  static async start(
    start: EmulatorStart,
    onFatal: (message: string) => void,
  ): Promise<EmulatorThread> {
    const wake = EventFd.create();
    const control = ControlBlock.create();
    control.publishSettings(start.settings);
    const worker = new Worker(new URL("./emulator_worker.ts", import.meta.url), { type: "module" });
    const thread = new EmulatorThread(worker, wake, control);
    const ready = new Promise<true | string>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<WorkerToMain>) => {
        const msg = e.data;
        if (msg.type === "ready") {
          resolve(msg.realtime);
        } else if (msg.type === "configured") {
          thread.#configured.reached(msg.seq, undefined);
        } else if (msg.type === "stats") {
          thread.#stats.reached(msg.seq, msg.stats);
        } else if (msg.type === "stopped") {
          thread.#resolveStopped();
        } else if (msg.type === "fatal") {
          reject(new Error(msg.message));
          thread.#onFatal?.(msg.message);
          thread.#resolveStopped();
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        const message = `WAN emulator worker failed: ${e.message}`;
        reject(new Error(message));
        thread.#onFatal?.(message);
        thread.#resolveStopped();
      };
    });
    const message: StartMessage = {
      type: "start",
      upFd: start.upFd,
      downFd: start.downFd,
      wakeFd: wake.fd,
      control: control.buffer,
      slots: start.slots,
      slotSize: start.slotSize,
      seed: start.seed,
      realtimePriority: start.realtimePriority,
    };
    worker.postMessage(message);
    try {
      thread.realtime = await ready;
    } catch (err) {
      worker.terminate();
      wake.close();
      throw err;
    }
    thread.#onFatal = onFatal;
    return thread;
  }

  /** New settings for packets arriving from now on; resolves once the Worker applies them. */
  configure(settings: LinkSettings): Promise<void> {
    const next = this.#configuring.catch(() => {}).then(() => {
      const seq = this.#control.publishSettings(settings);
      this.#wake.signal();
      return this.#configured.wait(seq, "new settings");
    });
    this.#configuring = next;
    return next;
  }

  /** The Worker's counters, both directions. */
  stats(): Promise<LinkStats> {
    const seq = this.#control.requestStats();
    this.#wake.signal();
    return this.#stats.wait(seq, "counters");
  }

  /** Stops the Worker within STOP_GRACE_MS. Safe to call twice. */
  async stop(): Promise<void> {
    this.#onFatal = undefined;
    this.#control.requestStop();
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
