/**
 * errno handling: one error type for every failed system call (and every netlink error, which
 * carries an errno too), and the helpers that read errno and build a useful message.
 *
 * Setup code throws `SyscallError`; the data path never throws: it returns `-errno` and counts.
 */
import { libc } from "./libc.ts";

/** Linux errno names by number (asm-generic numbering, shared by x86_64 and aarch64). */
// deno-fmt-ignore
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG",
  8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES",
  14: "EFAULT", 15: "ENOTBLK", 16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV",
  20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY",
  26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK",
  32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EDEADLK", 36: "ENAMETOOLONG", 37: "ENOLCK",
  38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 42: "ENOMSG", 43: "EIDRM", 61: "ENODATA",
  62: "ETIME", 71: "EPROTO", 74: "EBADMSG", 75: "EOVERFLOW", 77: "EBADFD", 84: "EILSEQ",
  88: "ENOTSOCK", 89: "EDESTADDRREQ", 90: "EMSGSIZE", 91: "EPROTOTYPE", 92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT", 94: "ESOCKTNOSUPPORT", 95: "EOPNOTSUPP", 96: "EPFNOSUPPORT",
  97: "EAFNOSUPPORT", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 100: "ENETDOWN",
  101: "ENETUNREACH", 102: "ENETRESET", 103: "ECONNABORTED", 104: "ECONNRESET",
  105: "ENOBUFS", 106: "EISCONN", 107: "ENOTCONN", 108: "ESHUTDOWN", 110: "ETIMEDOUT",
  111: "ECONNREFUSED", 112: "EHOSTDOWN", 113: "EHOSTUNREACH", 114: "EALREADY",
  115: "EINPROGRESS", 116: "ESTALE", 121: "EREMOTEIO", 122: "EDQUOT", 125: "ECANCELED",
  126: "ENOKEY", 130: "EOWNERDEAD", 131: "ENOTRECOVERABLE", 132: "ERFKILL",
};

const ERRNO_NUMBERS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(ERRNO_NAMES).map(([n, name]) => [name, Number(n)]),
);

/** Errno numbers the rest of the code compares against (values from the table above). */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;

/** "EPERM" for 1; "E123" for a number the table lacks. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/** 1 for "EPERM"; throws for a name the table lacks (a programmer error). */
export function errnoNumber(name: string): number {
  const n = ERRNO_NUMBERS[name];
  if (n === undefined) throw new RangeError(`unknown errno name: ${name}`);
  return n;
}

let errnoView: Deno.UnsafePointerView | null = null;

/**
 * The calling thread's errno. Call it right after the failing libc call, before any other
 * libc call. The pointer from __errno_location() is thread-local; it is cached per module
 * instance, and every Worker (= thread) has its own module instance.
 */
export function lastErrno(): number {
  if (errnoView === null) {
    const ptr = libc().__errno_location();
    if (ptr === null) throw new Error("__errno_location() returned NULL");
    errnoView = new Deno.UnsafePointerView(ptr);
  }
  return errnoView.getInt32(0);
}

/** The C library's text for an errno ("Operation not permitted"). */
export function strerror(errno: number): string {
  const ptr = libc().strerror(errno);
  return ptr === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(ptr);
}

/**
 * A failed system call (or a netlink request the kernel refused).
 * Message shape: `ioctl(TUNSETIFF, "bnd0"): Operation not permitted (EPERM) — needs CAP_NET_ADMIN`.
 */
export class SyscallError extends Error {
  /** The positive errno value. */
  readonly errno: number;
  /** Its symbolic name: "EPERM", "ENOENT", ... */
  readonly code: string;
  /** What was called: "socket", "ioctl", "RTM_NEWADDR", ... */
  readonly syscall: string;

  constructor(errno: number, syscall: string, context?: string, hint?: string) {
    const code = errnoName(errno);
    const what = context === undefined || context === "" ? syscall : `${syscall}(${context})`;
    const tail = hint === undefined || hint === "" ? "" : ` — ${hint}`;
    super(`${what}: ${strerror(errno)} (${code})${tail}`);
    this.name = "SyscallError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/** Per-errno advice appended to the message, keyed by code: `{ EPERM: "needs CAP_NET_ADMIN" }`. */
export type ErrnoHints = Readonly<Partial<Record<string, string>>>;

/**
 * For setup paths: return `result` if it is not negative, otherwise read errno (or take
 * `savedErrno`, when cleanup calls ran in between) and throw a SyscallError naming the call,
 * its context and, when one fits, a hint.
 */
export function check(
  result: number,
  syscall: string,
  context?: string,
  hints?: ErrnoHints,
  savedErrno?: number,
): number {
  if (result >= 0) return result;
  const errno = savedErrno ?? lastErrno();
  throw new SyscallError(errno, syscall, context, hints?.[errnoName(errno)]);
}

/** True if `err` is a SyscallError with one of the given codes ("ENOENT", "ESRCH", ...). */
export function isErrno(err: unknown, ...codes: string[]): err is SyscallError {
  return err instanceof SyscallError && codes.includes(err.code);
}
