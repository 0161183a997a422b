/**
 * eventfd(2): a counter in the kernel that a thread can poll. The main thread signals it to
 * wake a data-path Worker blocked in poll (for shutdown or new keys); the Worker drains it.
 * File descriptors are process-wide, so the number itself can be posted to the Worker.
 */
import { EFD_CLOEXEC, EFD_NONBLOCK } from "./constants.ts";
import { check, EAGAIN, lastErrno } from "./errno.ts";
import { libc } from "./libc.ts";

const EIGHT = 8n;

export class EventFd {
  readonly fd: number;
  readonly #value = new BigUint64Array(1);
  readonly #bytes = new Uint8Array(this.#value.buffer);
  #closed = false;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** A new eventfd, non-blocking (drain never waits) and close-on-exec. */
  static create(initial = 0): EventFd {
    return new EventFd(check(libc().eventfd(initial, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd"));
  }

  /** Wrap an eventfd made by another thread (its fd number posted over). */
  static fromFd(fd: number): EventFd {
    return new EventFd(fd);
  }

  /** Add 1 to the counter: wakes every poller. Returns 0 or -errno. */
  signal(): number {
    this.#value[0] = 1n;
    const n = libc().write(this.fd, this.#bytes, EIGHT);
    return n < 0 ? -lastErrno() : 0;
  }

  /**
   * Read and reset the counter: returns how many signals were pending (0 if none), or -errno.
   * Counts above 2^53 cannot happen in practice (one signal per wake-up).
   */
  drain(): number {
    const n = libc().read(this.fd, this.#bytes, EIGHT);
    if (n < 0) {
      const errno = lastErrno();
      return errno === EAGAIN ? 0 : -errno;
    }
    return Number(this.#value[0]);
  }

  /** Close the fd. Safe to call twice; only the thread that owns it should. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.fd);
  }
}
