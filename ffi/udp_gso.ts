/**
 * UDP generic segmentation offload (UDP_SEGMENT) for sendmmsg: runs of datagrams of one size
 * to one destination go to the kernel as one "super-datagram" each (an iovec per datagram and
 * a control message with the size), which the stack carries as one packet and cuts into
 * datagrams as late as possible (at the device, or never when the receiver takes GRO).
 *
 * The datagrams stay where they are (slots of an MmsgBatch, memory that never moves); this
 * batch only describes them. Nothing is allocated per datagram.
 *
 * A path without checksum offload refuses GSO with EIO: `send` then returns -EIO and the
 * caller sends the rest the plain way (and should stop using GSO on that socket).
 */
import { EAGAIN, EINTR, lastErrno } from "./errno.ts";
import { libc } from "./libc.ts";
import { SOL_UDP, UDP_SEGMENT } from "./constants.ts";
import {
  addressOf,
  allocStable,
  CMSG_LEN_OFFSET,
  CMSG_LEN_U16,
  CMSG_LEVEL_OFFSET,
  CMSG_SPACE_INT,
  CMSG_TYPE_OFFSET,
  CMSGHDR_SIZE,
  encodeSockaddr,
  IOVEC_SIZE,
  MMSGHDR_SIZE,
  MSGHDR_CONTROLLEN,
  MSGHDR_IOVLEN,
  MSGHDR_NAMELEN,
  SOCKADDR_MAX_SIZE,
  writeIovec,
  writeMsghdr,
  writePointer,
} from "./structs.ts";
import { Endpoint } from "../src/protocol/endpoint.ts";

/** Datagrams per super-datagram the kernel accepts (UDP_MAX_SEGMENTS). */
export const GSO_MAX_SEGMENTS = 64;
/** Bytes per super-datagram: below the 64 KiB IP limit with room for headers. */
export const GSO_MAX_BYTES = 65000;

/** @see GsoSendBatch */
export interface GsoSendBatchOptions {
  /** Super-datagrams per sendmmsg. @default 16 */
  messages?: number;
  /** The socket is AF_INET6: IPv4 destinations are written as v4-mapped. @default false */
  v6Socket?: boolean;
}

export class GsoSendBatch {
  readonly messages: number;
  /** Messages in use. */
  #count = 0;
  /** Datagrams queued in all messages. */
  #datagrams = 0;
  readonly #segments: Int32Array;
  readonly #segmentSize: Int32Array;
  readonly #bytes: Int32Array;
  /** A message is closed once a datagram shorter than its segment size ended it. */
  readonly #closed: Uint8Array;
  /** The index (in the order added) of each message's first datagram. */
  readonly #firstDatagram: Int32Array;
  readonly #dst: Endpoint[];
  readonly #v6Socket: boolean;
  readonly #hdrs: Uint8Array<ArrayBuffer>;
  readonly #hdrView: DataView;
  readonly #hdrFrom: Uint8Array[];
  readonly #iovView: DataView;
  readonly #nameView: DataView;
  readonly #controlView: DataView;
  readonly #sendmmsg;
  /** After `send`: the first message not handed to the kernel (== size when all went). */
  stoppedAt = 0;
  /** Messages the kernel refused for a reason other than EAGAIN/EIO (skipped). */
  sendErrors = 0;

  constructor(options: GsoSendBatchOptions = {}) {
    const messages = options.messages ?? 16;
    if (!Number.isInteger(messages) || messages < 1 || messages > 1024) {
      throw new RangeError(`gso messages must be 1-1024: ${messages}`);
    }
    this.messages = messages;
    this.#v6Socket = options.v6Socket ?? false;
    this.#segments = new Int32Array(messages);
    this.#segmentSize = new Int32Array(messages);
    this.#bytes = new Int32Array(messages);
    this.#closed = new Uint8Array(messages);
    this.#firstDatagram = new Int32Array(messages);
    this.#dst = Array.from({ length: messages }, () => new Endpoint());

    const iovs = allocStable(messages * GSO_MAX_SEGMENTS * IOVEC_SIZE);
    this.#iovView = new DataView(iovs.buffer);
    const names = allocStable(messages * SOCKADDR_MAX_SIZE);
    this.#nameView = new DataView(names.buffer);
    const controls = allocStable(messages * CMSG_SPACE_INT);
    this.#controlView = new DataView(controls.buffer);
    this.#hdrs = allocStable(messages * MMSGHDR_SIZE);
    this.#hdrView = new DataView(this.#hdrs.buffer);
    this.#hdrFrom = [];
    const [iovAddress, nameAddress, controlAddress] = [iovs, names, controls].map(addressOf);
    for (let m = 0; m < messages; m++) {
      writeMsghdr(
        this.#hdrView,
        m * MMSGHDR_SIZE,
        nameAddress + m * SOCKADDR_MAX_SIZE,
        SOCKADDR_MAX_SIZE,
        iovAddress + m * GSO_MAX_SEGMENTS * IOVEC_SIZE,
        0,
        controlAddress + m * CMSG_SPACE_INT,
        0,
      );
      // The control message never changes but for its value: level, type, length.
      const at = m * CMSG_SPACE_INT;
      writePointer(this.#controlView, at + CMSG_LEN_OFFSET, CMSG_LEN_U16);
      this.#controlView.setInt32(at + CMSG_LEVEL_OFFSET, SOL_UDP, true);
      this.#controlView.setInt32(at + CMSG_TYPE_OFFSET, UDP_SEGMENT, true);
      this.#hdrFrom.push(this.#hdrs.subarray(m * MMSGHDR_SIZE));
    }
    this.#sendmmsg = libc().sendmmsg;
  }

  /** Super-datagrams queued. */
  get size(): number {
    return this.#count;
  }

  /** Datagrams queued. */
  get datagrams(): number {
    return this.#datagrams;
  }

  /** The index (in the order added) of message m's first datagram. */
  firstDatagramOf(m: number): number {
    return m < this.#count ? this.#firstDatagram[m] : this.#datagrams;
  }

  /**
   * Queues `length` bytes at memory `address` (stable memory) for `dst`: appended to the last
   * super-datagram when it goes to the same place in the same size, else a new one. Returns
   * false, queueing nothing, when every message is in use: send first.
   */
  add(address: number, length: number, dst: Endpoint): boolean {
    let m = this.#count - 1;
    if (
      m < 0 || this.#closed[m] !== 0 || length > this.#segmentSize[m] ||
      this.#segments[m] === GSO_MAX_SEGMENTS || this.#bytes[m] + length > GSO_MAX_BYTES ||
      !this.#dst[m].equals(dst)
    ) {
      if (this.#count === this.messages) return false;
      m = this.#count++;
      this.#segments[m] = 0;
      this.#segmentSize[m] = length;
      this.#bytes[m] = 0;
      this.#closed[m] = 0;
      this.#firstDatagram[m] = this.#datagrams;
      this.#dst[m].copyFrom(dst);
    }
    const k = this.#segments[m]++;
    writeIovec(this.#iovView, (m * GSO_MAX_SEGMENTS + k) * IOVEC_SIZE, address, length);
    this.#bytes[m] += length;
    if (length < this.#segmentSize[m]) this.#closed[m] = 1;
    this.#datagrams++;
    return true;
  }

  /** Forgets everything queued. */
  clear(): void {
    this.#count = 0;
    this.#datagrams = 0;
  }

  /**
   * Sends messages `from`..size-1. Returns 0 when all went; -EAGAIN when the socket buffer
   * filled (`stoppedAt` says where to resume); another -errno when the kernel refused a
   * super-datagram (`stoppedAt` is that message; EIO: the path has no GSO at all). A refused
   * single datagram is counted in `sendErrors` and skipped.
   */
  send(fd: number, from = 0): number {
    const hv = this.#hdrView;
    for (let m = from; m < this.#count; m++) {
      const at = m * MMSGHDR_SIZE;
      const segments = this.#segments[m];
      const nameLength = encodeSockaddr(
        this.#dst[m],
        this.#nameView,
        m * SOCKADDR_MAX_SIZE,
        this.#v6Socket,
      );
      hv.setUint32(at + MSGHDR_NAMELEN, nameLength, true);
      writePointer(hv, at + MSGHDR_IOVLEN, segments);
      // One datagram needs no segmentation: no control message, a plain send.
      writePointer(hv, at + MSGHDR_CONTROLLEN, segments > 1 ? CMSG_SPACE_INT : 0);
      this.#controlView.setUint16(m * CMSG_SPACE_INT + CMSGHDR_SIZE, this.#segmentSize[m], true);
    }
    let start = from;
    for (let round = 0; start < this.#count && round < 2 * this.#count + 4; round++) {
      const n = this.#sendmmsg(fd, this.#hdrFrom[start], this.#count - start, 0);
      if (n > 0) {
        start += n;
        continue;
      }
      const errno = n < 0 ? lastErrno() : EAGAIN;
      if (errno === EINTR) continue;
      this.stoppedAt = start;
      if (errno === EAGAIN) return -EAGAIN;
      // A refused super-datagram may still go out datagram by datagram: the caller decides.
      if (this.#segments[start] > 1) return -errno;
      this.sendErrors++;
      start++;
    }
    this.stoppedAt = start;
    return 0;
  }
}
