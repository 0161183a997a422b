/** What the main thread and the TCP split's Worker (split_worker.ts) say to each other. */
import type { LogFields, LogLevel } from "../log.ts";

/** Which end of the split the Worker runs, and where it listens. */
export type SplitRole =
  | { role: "router" }
  | { role: "vps"; address: string; device: string };

export type MainToSplitWorker =
  | SplitRole & {
    type: "start";
    /** The figures (split_end.ts sharedSplitStats), counted by the Worker, read by status. */
    stats: SharedArrayBuffer;
    logLevel: LogLevel;
  }
  /** Router: the VPS's listener (an Endpoint's text), or null while none is offered. */
  | { type: "target"; target: string | null }
  | { type: "stop" };

export type SplitWorkerToMain =
  /** Listening. */
  | { type: "ready" }
  /** Could not listen: the start failed. */
  | { type: "failed"; message: string }
  | { type: "log"; level: LogLevel; message: string; fields?: LogFields }
  /** Router: the VPS refused a connection to this target (RouterSplit.onTargetRefused). */
  | { type: "target-refused"; target: string }
  /** Every connection reset, the listeners closed. */
  | { type: "stopped" };
