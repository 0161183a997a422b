/**
 * The libc surface of bond: one symbol table for glibc's libc.so.6, opened once, lazily.
 *
 * Conventions (they matter for speed and correctness, see docs in the architecture brief):
 * - Every call is blocking (`nonblocking: false`): the data path runs in Workers that may block
 *   in recvmmsg/poll; a `nonblocking: true` call would cost 10-60 µs on a thread pool hop.
 * - `usize`/`u64` parameters must be passed as BigInt (`3n`): a plain number makes Deno take
 *   its slow call path (~150 ns instead of ~20 ns).
 * - `ssize_t` results are declared `i32`, deliberately: an `isize` result comes back as a
 *   BigInt, one heap allocation per call. Every transfer made here is one packet, one netlink
 *   message or one small struct (far below 2 GiB), so the low 32 bits carry the whole value,
 *   and -1 (all ones) stays -1.
 * - Pointer arguments are `buffer` (a Uint8Array/typed array handed to C for the call only).
 *   Structs that hold addresses of other buffers (iovec, msghdr) must point into buffers made
 *   with `new ArrayBuffer(...)`, whose storage V8 never moves (see structs.ts `allocStable`).
 * - Errors: C returns -1 and sets the thread's errno; read it right after the call with
 *   `lastErrno()` from errno.ts, in the same thread.
 */
export const LIBC_SYMBOLS = {
  // int socket(int domain, int type, int protocol);
  socket: { parameters: ["i32", "i32", "i32"], result: "i32", nonblocking: false },
  // int bind(int fd, const struct sockaddr *addr, socklen_t addrlen);
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32", nonblocking: false },
  // int connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32", nonblocking: false },
  // int close(int fd);
  close: { parameters: ["i32"], result: "i32", nonblocking: false },
  // int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
    nonblocking: false,
  },
  // int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
    nonblocking: false,
  },
  // int getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen);
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32", nonblocking: false },
  // ssize_t sendto(int fd, const void *buf, size_t len, int flags,
  //                const struct sockaddr *dest_addr, socklen_t addrlen);
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "i32",
    nonblocking: false,
  },
  // ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
  //                  struct sockaddr *src_addr, socklen_t *addrlen);
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "i32",
    nonblocking: false,
  },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "i32", nonblocking: false },
  // ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "i32", nonblocking: false },
  // int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32", nonblocking: false },
  // int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
  //              struct timespec *timeout);   (timeout: pass null to block per flags)
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "buffer"],
    result: "i32",
    nonblocking: false,
  },
  // int poll(struct pollfd *fds, nfds_t nfds, int timeout);   (nfds_t = unsigned long)
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: false },
  // int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo_p,
  //           const sigset_t *sigmask);   (sigmask NULL: the thread's mask is kept)
  ppoll: { parameters: ["buffer", "u64", "buffer", "pointer"], result: "i32", nonblocking: false },
  // int eventfd(unsigned int initval, int flags);
  eventfd: { parameters: ["u32", "i32"], result: "i32", nonblocking: false },
  // ssize_t read(int fd, void *buf, size_t count);
  read: { parameters: ["i32", "buffer", "usize"], result: "i32", nonblocking: false },
  // ssize_t write(int fd, const void *buf, size_t count);
  write: { parameters: ["i32", "buffer", "usize"], result: "i32", nonblocking: false },
  // int open(const char *pathname, int flags, ... /* mode_t mode */);
  // Variadic in C; the fixed third argument is passed like any integer on x86_64 and aarch64.
  open: { parameters: ["buffer", "i32", "u32"], result: "i32", nonblocking: false },
  // int ioctl(int fd, unsigned long request, ... /* void *argp */);
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32", nonblocking: false },
  // int ioctl(int fd, unsigned long request, unsigned long value);   (requests taking a value)
  ioctl_value: {
    name: "ioctl",
    parameters: ["i32", "u64", "u64"],
    result: "i32",
    nonblocking: false,
  },
  // int fcntl(int fd, int cmd, ... /* int arg */);
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32", nonblocking: false },
  // int setns(int fd, int nstype);   (moves the calling thread into a namespace)
  setns: { parameters: ["i32", "i32"], result: "i32", nonblocking: false },
  // int *__errno_location(void);   (the calling thread's errno)
  __errno_location: { parameters: [], result: "pointer", nonblocking: false },
  // char *strerror(int errnum);
  strerror: { parameters: ["i32"], result: "pointer", nonblocking: false },
  // unsigned int if_nametoindex(const char *ifname);   (0 and errno on failure)
  if_nametoindex: { parameters: ["buffer"], result: "u32", nonblocking: false },
  // int sched_setscheduler(pid_t pid, int policy, const struct sched_param *param);
  // (pid 0: the calling thread alone)
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32", nonblocking: false },
  // int listen(int fd, int backlog);
  listen: { parameters: ["i32", "i32"], result: "i32", nonblocking: false },
  // int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32", nonblocking: false },
  // int shutdown(int fd, int how);
  shutdown: { parameters: ["i32", "i32"], result: "i32", nonblocking: false },
  // ssize_t send(int fd, const void *buf, size_t len, int flags);
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32", nonblocking: false },
  // ssize_t recv(int fd, void *buf, size_t len, int flags);
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32", nonblocking: false },
  // int malloc_trim(size_t pad); glibc only (null where missing).
  malloc_trim: { parameters: ["usize"], result: "i32", nonblocking: false, optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

export type LibcSymbols = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let opened: Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | null = null;

/**
 * The libc symbols, opening libc.so.6 on first use (once per thread: each Worker has its own
 * module instance). Destructure the symbols you call in a loop once, outside the loop.
 */
export function libc(): LibcSymbols {
  if (opened === null) opened = Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  return opened.symbols;
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `text` for `const char *` parameters (setup paths only). */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

const SIZE_CACHE_LIMIT = 65536;
// Filled with undefined up front so V8 keeps it a fast, dense array, not a dictionary.
const sizeCache: (bigint | undefined)[] = new Array(SIZE_CACHE_LIMIT).fill(undefined);

/**
 * `n` as the BigInt a `usize` parameter wants, without allocating per call for packet-sized
 * values: BigInts below 64 KiB are made once and reused (a packet length repeats constantly).
 */
export function usize(n: number): bigint {
  if (n < SIZE_CACHE_LIMIT && n >= 0) return sizeCache[n] ??= BigInt(n);
  return BigInt(n);
}
