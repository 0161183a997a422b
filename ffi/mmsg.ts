/**
 * A preallocated batch for recvmmsg(2)/sendmmsg(2): N slots, each with a packet buffer (with
 * headroom in front, where a sender writes its header without copying the payload), an iovec,
 * a sockaddr_in6-sized name buffer, a length and an Endpoint. Every struct is built once; a call
 * only rewrites a few fields, so receiving or sending a batch allocates nothing.
 *
 * Ownership: slot buffers and endpoints are borrowed views, valid until the next recv/send on
 * the same batch; copy what must outlive that.
 */
import { EAGAIN, EINTR, lastErrno } from "./errno.ts";
import { libc } from "./libc.ts";
import { MSG_TRUNC, MSG_WAITFORONE, SOL_UDP, UDP_GRO } from "./constants.ts";
import {
  addressOf,
  allocStable,
  CMSG_LEVEL_OFFSET,
  CMSG_SPACE_INT,
  CMSG_TYPE_OFFSET,
  CMSGHDR_SIZE,
  decodeSockaddr,
  encodeSockaddr,
  IOVEC_SIZE,
  MMSGHDR_LEN,
  MMSGHDR_SIZE,
  MSGHDR_CONTROLLEN,
  MSGHDR_FLAGS,
  MSGHDR_NAMELEN,
  SOCKADDR_MAX_SIZE,
  writeIovec,
  writeMsghdr,
} from "./structs.ts";
import { Endpoint } from "../src/protocol/endpoint.ts";

/** @see MmsgBatch */
export interface MmsgBatchOptions {
  /** Datagrams per call. @default 64 */
  slots?: number;
  /** Bytes per slot, headroom included. @default 2048 */
  slotSize?: number;
  /** Bytes kept free in front of each received datagram. @default 0 */
  headroom?: number;
  /**
   * Receive the UDP_GRO control message: a slot may then hold several coalesced datagrams of
   * `segmentSizes[i]` bytes each (the last may be shorter). Enable UDP_GRO on the socket too,
   * and give slots room for 64 KiB. @default false
   */
  segmentSizes?: boolean;
  /** The socket is AF_INET6: IPv4 destinations are written as v4-mapped. @default false */
  v6Socket?: boolean;
}

/** What the iovecs and names currently describe: nothing yet, a receive, or sends. */
const FRESH = 0;
const RECV = 1;
const SEND = 2;

export class MmsgBatch {
  readonly slots: number;
  readonly slotSize: number;
  readonly headroom: number;
  /** Whole slot i (headroom + payload area): write a header in front of a payload here. */
  readonly buffers: Uint8Array<ArrayBuffer>[];
  /** Slot i from `headroom` on: where recv puts a datagram (read a TUN packet into it, too). */
  readonly payloads: Uint8Array<ArrayBuffer>[];
  /** After recv: datagram length in slot i (at `headroom`). After setSend: bytes to send. */
  readonly lengths: Uint32Array;
  /** After recv: source of slot i. After setSend: its destination (copied in). */
  readonly endpoints: Endpoint[];
  /** After setSend: where slot i's datagram starts inside `buffers[i]`. */
  readonly offsets: Uint32Array;
  /**
   * After recv with `segmentSizes`: the size of each coalesced datagram in slot i, 0 when the
   * slot holds one plain datagram.
   */
  readonly segmentSizes: Uint32Array;
  /** Datagrams that arrived longer than the payload area (cut short; the caller should drop). */
  truncated = 0;
  /** Datagrams sendmmsg refused (e.g. ENETUNREACH for one destination); they are skipped. */
  sendErrors = 0;
  /** errno of the latest refused datagram, 0 if none yet. */
  lastSendErrno = 0;
  /**
   * After `send`: the first slot not handed to the kernel (== count when all went). Below
   * count only when the socket's buffer was full (EAGAIN): resume from here once writable.
   */
  sendStoppedAt = 0;

  readonly #v6Socket: boolean;
  readonly #hdrs: Uint8Array<ArrayBuffer>;
  readonly #hdrView: DataView;
  /** #hdrFrom[i] = the mmsghdr array from slot i on, to resume a partial sendmmsg. */
  readonly #hdrFrom: Uint8Array[];
  readonly #iovView: DataView;
  readonly #names: Uint8Array<ArrayBuffer>;
  readonly #nameView: DataView;
  readonly #slotAddress: number[] = [];
  readonly #nameAddress: number;
  /** Control buffers (UDP_GRO), one CMSG_SPACE_INT per slot; empty when not asked for. */
  readonly #controlView: DataView | undefined;
  #mode = FRESH;
  #lastCount = 0;
  readonly #recvmmsg;
  readonly #sendmmsg;

  constructor(options: MmsgBatchOptions = {}) {
    const slots = options.slots ?? 64;
    const slotSize = options.slotSize ?? 2048;
    const headroom = options.headroom ?? 0;
    if (!Number.isInteger(slots) || slots < 1 || slots > 1024) {
      throw new RangeError(`mmsg slots must be 1-1024 (the kernel's UIO_MAXIOV): ${slots}`);
    }
    if (!Number.isInteger(slotSize) || slotSize < 1 || slotSize > 65536) {
      throw new RangeError(`mmsg slotSize must be 1-65536 bytes: ${slotSize}`);
    }
    if (!Number.isInteger(headroom) || headroom < 0 || headroom >= slotSize) {
      throw new RangeError(`mmsg headroom must be 0-${slotSize - 1} bytes: ${headroom}`);
    }
    this.slots = slots;
    this.slotSize = slotSize;
    this.headroom = headroom;
    this.#v6Socket = options.v6Socket ?? false;

    const data = allocStable(slots * slotSize);
    const dataAddress = addressOf(data);
    this.buffers = [];
    this.payloads = [];
    for (let i = 0; i < slots; i++) {
      this.buffers.push(data.subarray(i * slotSize, (i + 1) * slotSize));
      this.payloads.push(data.subarray(i * slotSize + headroom, (i + 1) * slotSize));
      this.#slotAddress.push(dataAddress + i * slotSize);
    }
    this.lengths = new Uint32Array(slots);
    this.offsets = new Uint32Array(slots);
    this.segmentSizes = new Uint32Array(slots);
    this.endpoints = Array.from({ length: slots }, () => new Endpoint());
    let controlAddress = 0;
    if (options.segmentSizes) {
      const controls = allocStable(slots * CMSG_SPACE_INT);
      this.#controlView = new DataView(controls.buffer);
      controlAddress = addressOf(controls);
    }

    const iovs = allocStable(slots * IOVEC_SIZE);
    this.#iovView = new DataView(iovs.buffer);
    this.#names = allocStable(slots * SOCKADDR_MAX_SIZE);
    this.#nameView = new DataView(this.#names.buffer);
    this.#nameAddress = addressOf(this.#names);
    this.#hdrs = allocStable(slots * MMSGHDR_SIZE);
    this.#hdrView = new DataView(this.#hdrs.buffer);
    this.#hdrFrom = [];
    const iovAddress = addressOf(iovs);
    for (let i = 0; i < slots; i++) {
      writeMsghdr(
        this.#hdrView,
        i * MMSGHDR_SIZE,
        this.#nameAddress + i * SOCKADDR_MAX_SIZE,
        SOCKADDR_MAX_SIZE,
        iovAddress + i * IOVEC_SIZE,
        1,
        controlAddress === 0 ? 0 : controlAddress + i * CMSG_SPACE_INT,
        controlAddress === 0 ? 0 : CMSG_SPACE_INT,
      );
      this.#hdrFrom.push(this.#hdrs.subarray(i * MMSGHDR_SIZE));
    }
    const { recvmmsg, sendmmsg } = libc();
    this.#recvmmsg = recvmmsg;
    this.#sendmmsg = sendmmsg;
  }

  /**
   * Receive up to `slots` datagrams. With the default MSG_WAITFORONE the call blocks for the
   * first datagram, then takes whatever else is queued (add MSG_DONTWAIT to never block).
   * Returns the count (slots 0..count-1 filled: `payloads[i]`, `lengths[i]`, `endpoints[i]`),
   * or -errno (-EAGAIN when nothing is queued on a non-blocking call, -EINTR on a signal).
   */
  recv(fd: number, flags: number = MSG_WAITFORONE): number {
    const hv = this.#hdrView;
    if (this.#mode !== RECV) {
      const room = this.slotSize - this.headroom;
      for (let i = 0; i < this.slots; i++) {
        writeIovec(this.#iovView, i * IOVEC_SIZE, this.#slotAddress[i] + this.headroom, room);
        hv.setUint32(i * MMSGHDR_SIZE + MSGHDR_NAMELEN, SOCKADDR_MAX_SIZE, true);
      }
      this.#mode = RECV;
    } else {
      // The kernel shrinks msg_namelen to what it wrote (16 for IPv4): restore it.
      for (let i = 0; i < this.#lastCount; i++) {
        hv.setUint32(i * MMSGHDR_SIZE + MSGHDR_NAMELEN, SOCKADDR_MAX_SIZE, true);
      }
    }
    if (this.#controlView !== undefined) {
      // Likewise msg_controllen, which the kernel sets to what it wrote (0 without GRO).
      for (let i = 0; i < this.slots; i++) {
        hv.setUint32(i * MMSGHDR_SIZE + MSGHDR_CONTROLLEN, CMSG_SPACE_INT, true);
      }
    }
    this.#lastCount = 0;
    const n = this.#recvmmsg(fd, this.#hdrs, this.slots, flags, null);
    if (n < 0) return -lastErrno();
    for (let i = 0; i < n; i++) {
      const at = i * MMSGHDR_SIZE;
      this.lengths[i] = hv.getUint32(at + MMSGHDR_LEN, true);
      if ((hv.getInt32(at + MSGHDR_FLAGS, true) & MSG_TRUNC) !== 0) this.truncated++;
      decodeSockaddr(this.#nameView, i * SOCKADDR_MAX_SIZE, this.endpoints[i]);
      if (this.#controlView !== undefined) this.segmentSizes[i] = this.#readGro(i);
    }
    this.#lastCount = n;
    return n;
  }

  /** The UDP_GRO segment size in slot i's control buffer, 0 if the kernel wrote none. */
  #readGro(i: number): number {
    const cv = this.#controlView!;
    const length = this.#hdrView.getUint32(i * MMSGHDR_SIZE + MSGHDR_CONTROLLEN, true);
    const at = i * CMSG_SPACE_INT;
    if (
      length < CMSGHDR_SIZE + 4 || cv.getInt32(at + CMSG_LEVEL_OFFSET, true) !== SOL_UDP ||
      cv.getInt32(at + CMSG_TYPE_OFFSET, true) !== UDP_GRO
    ) {
      return 0;
    }
    return cv.getInt32(at + CMSGHDR_SIZE, true);
  }

  /** The memory address of slot i's datagram as described by `setSend` (for GSO batches). */
  sendAddress(i: number): number {
    return this.#slotAddress[i] + this.offsets[i];
  }

  /** True if slot i's last received datagram was longer than the payload area. */
  isTruncated(i: number): boolean {
    return (this.#hdrView.getInt32(i * MMSGHDR_SIZE + MSGHDR_FLAGS, true) & MSG_TRUNC) !== 0;
  }

  /**
   * Make slot i send `length` bytes starting `offset` bytes into `buffers[i]` (offset 0 = a
   * header written into the headroom; `headroom` = the payload as received) to `dst`.
   * Throws on a range outside the slot: that is a programming error, not a packet problem.
   */
  setSend(i: number, offset: number, length: number, dst: Endpoint): void {
    if (offset < 0 || length < 0 || offset + length > this.slotSize || i < 0 || i >= this.slots) {
      throw new RangeError(`mmsg slot ${i}: bytes ${offset}+${length} outside 0-${this.slotSize}`);
    }
    this.#mode = SEND;
    writeIovec(this.#iovView, i * IOVEC_SIZE, this.#slotAddress[i] + offset, length);
    const nameLength = encodeSockaddr(
      dst,
      this.#nameView,
      i * SOCKADDR_MAX_SIZE,
      this.#v6Socket,
    );
    this.#hdrView.setUint32(i * MMSGHDR_SIZE + MSGHDR_NAMELEN, nameLength, true);
    this.lengths[i] = length;
    this.offsets[i] = offset;
    this.endpoints[i].copyFrom(dst);
  }

  /**
   * Send slots 0..count-1 (each prepared with `setSend`). A partial sendmmsg is resumed; a
   * datagram the kernel refuses is counted in `sendErrors` and skipped, so one unreachable path
   * cannot stall the others. Stops early on EAGAIN (non-blocking socket, buffer full), leaving
   * `sendStoppedAt` at the first slot not sent; `from` resumes there.
   * Returns the number of datagrams handed to the kernel.
   */
  send(fd: number, count: number, flags = 0, from = 0): number {
    if (count > this.slots) count = this.slots;
    let start = from;
    let sent = 0;
    // Each round either advances `start` or is an EINTR retry; both are bounded.
    for (let round = 0; start < count && round < 2 * count + 4; round++) {
      const n = this.#sendmmsg(fd, this.#hdrFrom[start], count - start, flags);
      if (n > 0) {
        start += n;
        sent += n;
        continue;
      }
      const errno = n < 0 ? lastErrno() : EAGAIN;
      if (errno === EINTR) continue;
      if (errno === EAGAIN) break;
      this.sendErrors++;
      this.lastSendErrno = errno;
      start++;
    }
    this.sendStoppedAt = start;
    return sent;
  }
}
