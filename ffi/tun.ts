/**
 * A TUN device (layer 3, no packet-information header): each read returns one IP packet, each
 * write injects one. Opening needs CAP_NET_ADMIN; the device disappears when its last fd closes
 * (it is not made persistent), so a crashed daemon leaves nothing behind.
 *
 * With `vnetHeader`, every read and write starts with a 10-byte virtio_net_hdr, and
 * `setOffload` may let the kernel hand over TCP super-packets of up to 64 KiB with partial
 * checksums (src/offload/ turns them into packets, and builds such packets on the way in).
 */
import {
  F_GETFL,
  F_SETFL,
  IFF_MULTI_QUEUE,
  IFF_NO_PI,
  IFF_TUN,
  IFF_VNET_HDR,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  TUNSETIFF,
  TUNSETOFFLOAD,
} from "./constants.ts";
import { check, EINVAL, type ErrnoHints, lastErrno } from "./errno.ts";
import { cString, libc, usize } from "./libc.ts";
import { ifreq, ifreqName, setIfreqFlags } from "./structs.ts";

const TUN_PATH = "/dev/net/tun";

const OPEN_HINTS: ErrnoHints = {
  ENOENT: `${TUN_PATH} missing: load the tun module (modprobe tun)`,
  ENODEV: "the tun driver is not in this kernel: load the tun module (modprobe tun)",
  EPERM: "needs CAP_NET_ADMIN (run as root)",
  EACCES: "needs CAP_NET_ADMIN (run as root)",
};

const SETIFF_HINTS: ErrnoHints = {
  EPERM: "needs CAP_NET_ADMIN (run as root)",
  EBUSY: "an interface of that name exists and is not a free TUN device of the same kind",
  EINVAL: "the name is in use by a TUN device opened with other flags (multi-queue or not)",
};

/** @see TunDevice.open */
export interface TunOptions {
  /** Open one queue of a multi-queue device (IFF_MULTI_QUEUE). @default false */
  multiQueue?: boolean;
  /** Every read and write carries a virtio_net_hdr first (IFF_VNET_HDR). @default false */
  vnetHeader?: boolean;
}

export class TunDevice {
  /** The file descriptor (blocking reads and writes). */
  readonly fd: number;
  /** The interface name the kernel gave (differs from the request when it held a `%d`). */
  readonly name: string;
  /** Whether reads and writes carry a virtio_net_hdr. */
  readonly vnetHeader: boolean;
  #closed = false;
  readonly #read;
  readonly #write;

  private constructor(fd: number, name: string, vnetHeader: boolean) {
    this.fd = fd;
    this.name = name;
    this.vnetHeader = vnetHeader;
    const { read, write } = libc();
    this.#read = read;
    this.#write = write;
  }

  /**
   * Create (or attach to) the TUN interface `name` (e.g. "bnd0", or "bnd%d" to let the kernel
   * pick a number). Throws a SyscallError with advice when the driver or the privilege is missing.
   */
  static open(name: string, options: TunOptions = {}): TunDevice {
    const req = ifreq(name);
    const { open, ioctl, close } = libc();
    const fd = check(open(cString(TUN_PATH), O_RDWR | O_CLOEXEC, 0), "open", TUN_PATH, OPEN_HINTS);
    const flags = IFF_TUN | IFF_NO_PI | (options.multiQueue ? IFF_MULTI_QUEUE : 0) |
      (options.vnetHeader ? IFF_VNET_HDR : 0);
    setIfreqFlags(req, flags);
    const rc = ioctl(fd, TUNSETIFF, req);
    if (rc < 0) {
      const errno = lastErrno();
      close(fd);
      check(-1, "ioctl", `TUNSETIFF, ${JSON.stringify(name)}`, SETIFF_HINTS, errno);
    }
    return new TunDevice(fd, ifreqName(req), options.vnetHeader ?? false);
  }

  /**
   * Wrap a TUN fd opened elsewhere in this process (the main thread opens the device, the data
   * path Worker drives it by fd number). Closing stays with whoever opened it.
   */
  static fromFd(fd: number, name: string, vnetHeader = false): TunDevice {
    return new TunDevice(fd, name, vnetHeader);
  }

  /**
   * Which offloads the kernel may use on packets it hands us (TUN_F_* bits: partial
   * checksums, TCP segmentation); needs `vnetHeader`. Returns 0 or -errno.
   */
  setOffload(flags: number): number {
    const rc = libc().ioctl_value(this.fd, TUNSETOFFLOAD, BigInt(flags));
    return rc < 0 ? -lastErrno() : 0;
  }

  /** O_NONBLOCK on or off: a read on an empty queue then returns -EAGAIN instead of waiting. */
  setNonBlocking(on: boolean): void {
    const { fcntl } = libc();
    const flags = check(fcntl(this.fd, F_GETFL, 0), "fcntl", "F_GETFL");
    const next = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (next !== flags) check(fcntl(this.fd, F_SETFL, next), "fcntl", "F_SETFL O_NONBLOCK");
  }

  /** Read one packet into `buf`; returns its length, or -errno (EINTR, EBADF after close...). */
  read(buf: Uint8Array): number {
    const n = this.#read(this.fd, buf, usize(buf.length));
    return n < 0 ? -lastErrno() : n;
  }

  /** Write the first `length` bytes of `buf` as one packet; returns bytes written or -errno. */
  write(buf: Uint8Array, length: number = buf.length): number {
    if (length > buf.length) return -EINVAL;
    const n = this.#write(this.fd, buf, usize(length));
    return n < 0 ? -lastErrno() : n;
  }

  /** Close the fd; the interface goes away with its last fd. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.fd);
  }
}
