/**
 * poll(2) with a sub-millisecond timeout: ppoll(2) takes a timespec, where poll's timeout is in
 * whole milliseconds. A delay line that can only sleep in whole milliseconds releases packets
 * up to a millisecond off their time, which is 10% of a 5 ms link; with ppoll the error is the
 * kernel's wake-up latency (tens of microseconds), which the emulator loop compensates.
 *
 * Descriptors are watched for POLLIN, like ffi/poll.ts's PollSet, which this mirrors (the
 * project's libc table has poll only); errno is read through ffi/errno.ts (the same libc).
 */
import { POLLIN } from "../../ffi/constants.ts";
import { lastErrno } from "../../ffi/errno.ts";
import { allocStable, POLLFD_SIZE, readRevents, writePollfd } from "../../ffi/structs.ts";

const SYMBOLS = {
  // int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo_p,
  //           const sigset_t *sigmask);   (sigmask NULL: the thread's mask is kept)
  ppoll: { parameters: ["buffer", "u64", "buffer", "pointer"], result: "i32", nonblocking: false },
} as const satisfies Deno.ForeignLibraryInterface;

let library: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

function ppoll() {
  library ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return library.symbols.ppoll;
}

const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;

export class PrecisePoll {
  readonly size: number;
  readonly #fds: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  readonly #count: bigint;
  /** struct timespec { i64 tv_sec; i64 tv_nsec; } as four little-endian i32 halves. */
  readonly #timespec = new Int32Array(4);
  readonly #ppoll = ppoll();

  constructor(fds: readonly number[]) {
    if (fds.length < 1 || fds.length > 31) {
      throw new RangeError(`precise poll must watch 1-31 fds: ${fds.length}`);
    }
    this.size = fds.length;
    this.#fds = allocStable(fds.length * POLLFD_SIZE);
    this.#view = new DataView(this.#fds.buffer);
    for (let i = 0; i < fds.length; i++) writePollfd(this.#view, i * POLLFD_SIZE, fds[i], POLLIN);
    this.#count = BigInt(fds.length);
  }

  /**
   * Waits up to `timeoutMs` (fractional; Infinity = no limit). Returns a mask with bit i set
   * when descriptor i has an event, 0 on timeout, or -errno (-EINTR on a signal).
   */
  wait(timeoutMs: number): number {
    let n: number;
    if (timeoutMs === Infinity) {
      n = this.#ppoll(this.#fds, this.#count, null, null);
    } else {
      const ns = timeoutMs > 0 ? Math.round(timeoutMs * NS_PER_MS) : 0;
      const seconds = Math.floor(ns / NS_PER_S);
      // tv_sec and tv_nsec fit their low halves (a sleep of < 68 years, nanoseconds < 1e9).
      this.#timespec[0] = seconds;
      this.#timespec[1] = 0;
      this.#timespec[2] = ns - seconds * NS_PER_S;
      this.#timespec[3] = 0;
      n = this.#ppoll(this.#fds, this.#count, this.#timespec, null);
    }
    if (n < 0) return -lastErrno();
    if (n === 0) return 0;
    let mask = 0;
    for (let i = 0; i < this.size; i++) {
      if (readRevents(this.#view, i * POLLFD_SIZE) !== 0) mask |= 1 << i;
    }
    return mask;
  }
}
