/**
 * The WAN emulator's packet loop, in one Worker, both directions:
 *   1. poll(2) the wake eventfd and the two TUN fds, sleeping until the next packet is due;
 *   2. read every waiting packet of each TUN straight into a free slot of that direction's
 *      delay line (which drops, queues or schedules it);
 *   3. write every packet that is due back into the TUN it came from (the kernel then routes
 *      it on, see wan_routing.ts).
 *
 * Timing: the loop sleeps (ppoll, sub-millisecond) until the next packet is due, minus the
 * kernel's usual wake-up lateness, which it keeps measuring; packets due within that lateness
 * are released at once rather than waited for, since waiting would make them later still.
 * Packets thus leave within about a tenth of a millisecond of their time and the loop never
 * spins.
 *
 * The main thread's requests (new settings, counters, stop) arrive through shared memory
 * (control_block.ts), announced by a write to the wake eventfd; the loop never returns to its
 * event loop, which in a Worker would hold every packet up for milliseconds.
 */
/// <reference lib="deno.worker" />
import { EventFd } from "../../ffi/eventfd.ts";
import { EAGAIN, EINTR } from "../../ffi/errno.ts";
import { TunDevice } from "../../ffi/tun.ts";
import { DelayLine } from "./delay_line.ts";
import { PollSet } from "../../ffi/poll.ts";
import { ControlBlock } from "./control_block.ts";
import type { StartMessage, WorkerToMain } from "./emulator_messages.ts";
import { randomlySeeded, seededRandom } from "./seeded_random.ts";
import { setThreadRealtime } from "../../ffi/thread_priority.ts";

/** First guess of how late a timed sleep wakes (ms), before it has been measured. */
const INITIAL_LATENESS_MS = 0.1;
/**
 * Cap on one lateness sample: a stall (a busy CPU) is not the kernel's usual latency, and
 * counting it in full would release the following packets early.
 */
const MAX_LATENESS_MS = 0.5;
/** Weight of each new measurement in the lateness average. */
const LATENESS_GAIN = 1 / 16;
/** Longest sleep when nothing is held. */
const IDLE_POLL_MS = 1000;
/** Packets read from one TUN per round before the other gets its turn and releases run. */
const READ_BATCH = 256;

const post = (msg: WorkerToMain) => self.postMessage(msg);

let started = false;

self.onmessage = (e: MessageEvent<StartMessage>) => {
  if (e.data.type !== "start" || started) return;
  started = true;
  try {
    run(e.data);
  } catch (err) {
    post({ type: "fatal", message: (err as Error).message });
  }
};

function run(start: StartMessage): void {
  const random = start.seed === undefined ? randomlySeeded() : seededRandom(start.seed);
  const up = new DelayLine({ slots: start.slots, slotSize: start.slotSize, random });
  const down = new DelayLine({ slots: start.slots, slotSize: start.slotSize, random });
  const control = ControlBlock.attach(start.control);
  let settingsSeq = -1;
  let statsSeq = 0;
  // Applies new settings and answers requests; false once asked to stop.
  const handleControl = (): boolean => {
    const seq = control.settingsSeq();
    if (seq !== settingsSeq) {
      const s = control.readSettings();
      up.configure(s.up);
      down.configure(s.down);
      settingsSeq = seq;
      post({ type: "configured", seq });
    }
    const wanted = control.statsSeq();
    if (wanted !== statsSeq) {
      statsSeq = wanted;
      post({ type: "stats", seq: wanted, stats: { up: { ...up.stats }, down: { ...down.stats } } });
    }
    return !control.stopRequested();
  };
  handleControl();

  const tunUp = TunDevice.fromFd(start.upFd, "");
  const tunDown = TunDevice.fromFd(start.downFd, "");
  tunUp.setNonBlocking(true);
  tunDown.setNonBlocking(true);
  const wake = EventFd.fromFd(start.wakeFd);
  // poll slots: [wake, up TUN, down TUN]
  const poller = new PollSet([start.wakeFd, start.upFd, start.downFd]);
  // Where packets go when a line has no free slot: read to take them off the TUN, then dropped.
  const scratch = new Uint8Array(start.slotSize);
  // A read error other than "nothing waiting" means the device is gone or broken: it would
  // stay readable forever and the loop would spin, so the emulator stops instead (and the
  // namespace's blackhole routes take the WAN down, see wan_routing.ts).
  const readAll = (tun: TunDevice, line: DelayLine, now: number) => {
    for (let i = 0; i < READ_BATCH; i++) {
      const slot = line.nextBuffer();
      const buf = slot ?? scratch;
      const n = tun.read(buf);
      if (n <= 0) {
        if (n < 0 && n !== -EAGAIN && n !== -EINTR) {
          throw new Error(`TUN read failed: errno ${-n}`);
        }
        return;
      }
      if (slot === null) line.overflow();
      else line.admit(now, n);
    }
  };

  // Real-time for this thread only: the loop sleeps whenever nothing is due, but the main
  // thread (control, V8) must never get the priority that could starve the machine.
  let realtime: true | string = "not asked";
  if (start.realtimePriority !== undefined) {
    try {
      setThreadRealtime(start.realtimePriority);
      realtime = true;
    } catch (err) {
      realtime = (err as Error).message;
    }
  }
  post({ type: "ready", realtime });
  let lateness = INITIAL_LATENESS_MS;
  try {
    for (;;) {
      let now = performance.now();
      const due = Math.min(up.nextRelease(), down.nextRelease());
      const timeout = due === Infinity ? IDLE_POLL_MS : Math.max(0, due - lateness - now);
      const wakeAt = now + timeout;
      const ready = poller.waitPrecise(timeout);
      now = performance.now();
      if (ready < 0 && ready !== -EINTR) throw new Error(`poll failed: errno ${-ready}`);
      if (ready === 0 && due !== Infinity && timeout > 0) {
        // A timed wake-up: learn how late the kernel woke us.
        const late = now - wakeAt;
        const sample = late < 0 ? 0 : late > MAX_LATENESS_MS ? MAX_LATENESS_MS : late;
        lateness += (sample - lateness) * LATENESS_GAIN;
      }
      if (ready > 0 && (ready & 1) !== 0) {
        wake.drain();
        if (!handleControl()) break;
      }
      if (ready > 0 && (ready & 2) !== 0) readAll(tunUp, up, now);
      if (ready > 0 && (ready & 4) !== 0) readAll(tunDown, down, now);
      up.release(now + lateness, tunUp);
      down.release(now + lateness, tunDown);
    }
  } finally {
    post({ type: "stopped" });
  }
}
