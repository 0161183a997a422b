/**
 * poll(2) over a fixed set of descriptors, built once. A data-path Worker polls its socket(s)
 * or TUN fd together with an eventfd, so the main thread can wake it for shutdown: a blocked
 * syscall cannot be interrupted by `worker.terminate()`.
 */
import { POLLIN } from "./constants.ts";
import { lastErrno } from "./errno.ts";
import { libc } from "./libc.ts";
import { allocStable, POLLFD_SIZE, readRevents, writePollfd } from "./structs.ts";

const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;

/** Most descriptors one PollSet watches: the ready mask is a 31-bit integer. */
export const POLL_MAX_FDS = 31;

export class PollSet {
  /** Number of descriptors watched. */
  readonly size: number;
  readonly #fds: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  readonly #count: bigint;
  readonly #poll;
  readonly #ppoll;
  /** struct timespec { i64 tv_sec; i64 tv_nsec; } as four little-endian i32 halves. */
  readonly #timespec = new Int32Array(4);

  /** Watch `fds[i]` for `events[i]` (POLLIN when not given). */
  constructor(fds: readonly number[], events: readonly number[] = []) {
    if (fds.length < 1 || fds.length > POLL_MAX_FDS) {
      throw new RangeError(`poll set must hold 1-${POLL_MAX_FDS} fds: ${fds.length}`);
    }
    this.size = fds.length;
    this.#fds = allocStable(fds.length * POLLFD_SIZE);
    this.#view = new DataView(this.#fds.buffer);
    for (let i = 0; i < fds.length; i++) {
      writePollfd(this.#view, i * POLLFD_SIZE, fds[i], events[i] ?? POLLIN);
    }
    this.#count = BigInt(fds.length);
    this.#poll = libc().poll;
    this.#ppoll = libc().ppoll;
  }

  /** Replace descriptor i (e.g. a re-opened socket); a negative fd is ignored by poll. */
  setFd(i: number, fd: number, events: number = POLLIN): void {
    if (i < 0 || i >= this.size) throw new RangeError(`poll slot ${i} outside 0-${this.size - 1}`);
    writePollfd(this.#view, i * POLLFD_SIZE, fd, events);
  }

  /**
   * Wait up to `timeoutMs` (-1 = forever, 0 = just look). Returns a mask with bit i set when
   * descriptor i has any event (readable, writable, error or hang-up: read `revents(i)` to tell),
   * 0 on timeout, or -errno (-EINTR when a signal arrived).
   */
  wait(timeoutMs: number): number {
    return this.#readyMask(this.#poll(this.#fds, this.#count, timeoutMs));
  }

  /**
   * Like `wait`, with a fractional timeout (Infinity = no limit) through ppoll(2): poll's whole
   * milliseconds would release a delay line's packets up to a millisecond late, 10% of a 5 ms
   * link; ppoll's error is the kernel's wake-up latency (tens of microseconds).
   */
  waitPrecise(timeoutMs: number): number {
    if (timeoutMs === Infinity) {
      return this.#readyMask(this.#ppoll(this.#fds, this.#count, null, null));
    }
    const ns = timeoutMs > 0 ? Math.round(timeoutMs * NS_PER_MS) : 0;
    const seconds = Math.floor(ns / NS_PER_S);
    // tv_sec and tv_nsec fit their low halves (a sleep of < 68 years, nanoseconds < 1e9).
    this.#timespec[0] = seconds;
    this.#timespec[1] = 0;
    this.#timespec[2] = ns - seconds * NS_PER_S;
    this.#timespec[3] = 0;
    return this.#readyMask(this.#ppoll(this.#fds, this.#count, this.#timespec, null));
  }

  #readyMask(n: number): number {
    if (n < 0) return -lastErrno();
    if (n === 0) return 0;
    let mask = 0;
    for (let i = 0; i < this.size; i++) {
      if (readRevents(this.#view, i * POLLFD_SIZE) !== 0) mask |= 1 << i;
    }
    return mask;
  }

  /** The revents bits of descriptor i from the last `wait` (POLLIN, POLLERR, POLLHUP...). */
  revents(i: number): number {
    return readRevents(this.#view, i * POLLFD_SIZE);
  }
}
