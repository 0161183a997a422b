/**
 * What the emulator's main thread and its packet Worker tell each other: the start message
 * (then settings, stats requests and stop go through control_block.ts), and the Worker's
 * answers.
 */
import type { DirectionStats } from "./delay_line.ts";

export interface StartMessage {
  type: "start";
  /** TUN fd carrying router → internet packets (read, delayed, written back). */
  upFd: number;
  /** TUN fd carrying internet → router packets. */
  downFd: number;
  /** eventfd the main thread signals after changing the control block. */
  wakeFd: number;
  /** The ControlBlock's memory, holding the initial settings. */
  control: SharedArrayBuffer;
  /** Packets each direction can hold. */
  slots: number;
  /** Largest packet, bytes (the TUN MTU). */
  slotSize: number;
  /** Seed of the loss and jitter models; random when absent. */
  seed?: number;
  /** SCHED_FIFO priority for the packet loop's thread alone; absent: an ordinary thread. */
  realtimePriority?: number;
}

export interface LinkStats {
  down: DirectionStats;
  up: DirectionStats;
}

export type WorkerToMain =
  /** `realtime`: whether the packet loop runs SCHED_FIFO (or why not). */
  | { type: "ready"; realtime: true | string }
  /** Settings of this sequence number (and all before) are in force. */
  | { type: "configured"; seq: number }
  /** Counters answering the stats request of this sequence number (and all before). */
  | { type: "stats"; seq: number; stats: LinkStats }
  | { type: "stopped" }
  | { type: "fatal"; message: string };
