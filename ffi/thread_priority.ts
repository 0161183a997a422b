/**
 * Real-time scheduling for the calling thread alone: sched_setscheduler(2) with pid 0 changes
 * only the thread that calls it (Linux schedules threads, not processes), so a Worker's packet
 * loop can run SCHED_FIFO while the rest of its process (the main thread, V8's helpers) stays
 * an ordinary task that can never starve the machine.
 */
import { check } from "./errno.ts";
import { libc } from "./libc.ts";

const SCHED_FIFO = 1;

/** SCHED_FIFO at `priority` (1-99) for the calling thread; throws SyscallError (EPERM...). */
export function setThreadRealtime(priority: number): void {
  if (!Number.isInteger(priority) || priority < 1 || priority > 99) {
    throw new RangeError(`real-time priority must be 1-99, got ${priority}`);
  }
  // struct sched_param { int sched_priority; }
  const param = new Int32Array([priority]);
  check(
    libc().sched_setscheduler(0, SCHED_FIFO, new Uint8Array(param.buffer)),
    "sched_setscheduler",
    `SCHED_FIFO ${priority}`,
    { EPERM: "needs CAP_SYS_NICE (root outside a restricted container)" },
  );
}
