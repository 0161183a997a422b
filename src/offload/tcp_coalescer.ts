/**
 * Receive offload for the TUN device (GRO done here): the packets a batch of datagrams yields
 * are staged, and runs of one TCP flow's segments (in sequence, same headers) are joined into
 * one super-packet that the kernel takes with a virtio_net_hdr saying "TCP, gso_size N,
 * checksum partial". The kernel's TCP stack then handles one packet instead of dozens, and
 * re-segments it only if it forwards it somewhere that cannot take it whole.
 *
 * Order: every packet takes a staging slot in arrival order, except a segment that joins the
 * newest slot of its own flow; `flush` writes the slots in order. So a flow's packets stay in
 * order, and only packets of different flows may pass each other.
 *
 * A segment joins when (as Linux GRO asks): same addresses, ports, IPv4 TOS/TTL/DF (IPv4 ID
 * the next one) or IPv6 class/flow/hop limit, same TCP header length and options, same ACK
 * number, flags ACK (PSH closes the run), sequence number right after the run, payload no
 * larger than the run's first (a shorter one closes the run), and the whole within 64 KiB.
 * The joined packet keeps the first segment's headers with the newest window and PSH.
 *
 * Sans-IO: `push` copies a packet in; `flush` hands each staged packet (behind its header) to
 * the write function given at construction. Staging full: flushed first.
 *
 * A device that refuses a super-packet (a kernel without virtio GSO on TUN writes) gets that
 * run again segment by segment, and joining stops for good: nothing is lost to the offload.
 */
import { foldSum, pseudoHeaderSum, sumBytes } from "./internet_checksum.ts";
import { GsoSegmenter } from "./gso_segmenter.ts";
import {
  VNET_F_NEEDS_CSUM,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  VNET_HDR_SIZE,
  writeVnetHdr,
} from "./virtio_net_hdr.ts";

/** Writes `length` bytes of `buf` (header and packet) to the device; bytes written or -errno. */
export type TunWrite = (buf: Uint8Array, length: number) => number;

const PROTO_TCP = 6;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
/** The largest packet a slot holds: IPv6's 16-bit payload length plus its header. */
const MAX_PACKET = 40 + 0xffff;

const FREE = 0;
/** Staged as it came: not TCP, or TCP that nothing may join. */
const PLAIN = 1;
/** A TCP run that may still grow. */
const OPEN = 2;
/** A TCP run closed by PSH, a short segment or a packet of its flow that could not join. */
const CLOSED = 3;

/** Whether the packet is plainly UDP or ICMP (nothing a TCP run could be reordered with). */
function isUdpOrIcmp(v: DataView, at: number, length: number): boolean {
  if (length < 20) return false;
  const version = v.getUint8(at) >> 4;
  if (version === 4) {
    const proto = v.getUint8(at + 9);
    return proto === 17 || proto === 1;
  }
  if (version === 6 && length >= 40) {
    const next = v.getUint8(at + 6);
    return next === 17 || next === 58;
  }
  return false;
}

export interface CoalescerStats {
  /** Packets that joined a run instead of taking a slot. */
  joined: number;
  /** Super-packets written (runs of two or more). */
  superPackets: number;
  /** Writes the device refused. */
  writeErrors: number;
  /** Packets too long for a slot (cannot happen with a tunnel MTU below 64 KiB). */
  tooLong: number;
  /** Super-packets the device refused (then written segment by segment; joining stops). */
  refusedSuperPackets: number;
}

export class TcpCoalescer {
  readonly stats: CoalescerStats = {
    joined: 0,
    superPackets: 0,
    writeErrors: 0,
    tooLong: 0,
    refusedSuperPackets: 0,
  };
  /** False once the device refused a super-packet: every packet then goes out as it came. */
  #joining = true;
  /** Cuts a refused run back into its segments (made when first needed). */
  #segmenter: GsoSegmenter | undefined;
  #segment: Uint8Array | undefined;
  readonly #write: TunWrite;
  readonly #slots: Uint8Array[] = [];
  readonly #views: DataView[] = [];
  readonly #state: Uint8Array;
  /** Per slot: packet length (behind the header), IP version, transport offset, headers. */
  readonly #length: Uint32Array;
  readonly #version: Uint8Array;
  readonly #l4: Uint16Array;
  readonly #headers: Uint16Array;
  /** Per run: first payload (the gso_size), segments, next sequence number, last IPv4 ID. */
  readonly #mss: Uint16Array;
  readonly #segments: Uint16Array;
  readonly #nextSeq: Uint32Array;
  readonly #lastId: Uint16Array;
  #used = 0;
  #inBuffer: ArrayBufferLike | undefined;
  #in: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(write: TunWrite, slots = 16) {
    this.#write = write;
    const arena = new Uint8Array(slots * (VNET_HDR_SIZE + MAX_PACKET));
    for (let i = 0; i < slots; i++) {
      const slot = arena.subarray(
        i * (VNET_HDR_SIZE + MAX_PACKET),
        (i + 1) * (VNET_HDR_SIZE + MAX_PACKET),
      );
      this.#slots.push(slot);
      this.#views.push(new DataView(arena.buffer, slot.byteOffset, slot.byteLength));
    }
    this.#state = new Uint8Array(slots);
    this.#length = new Uint32Array(slots);
    this.#version = new Uint8Array(slots);
    this.#l4 = new Uint16Array(slots);
    this.#headers = new Uint16Array(slots);
    this.#mss = new Uint16Array(slots);
    this.#segments = new Uint16Array(slots);
    this.#nextSeq = new Uint32Array(slots);
    this.#lastId = new Uint16Array(slots);
  }

  /** Stages the IP packet `packet[0, length)` (copied). */
  push(packet: Uint8Array, length: number): void {
    if (length > MAX_PACKET || length > packet.length) {
      this.stats.tooLong++;
      return;
    }
    if (packet.buffer !== this.#inBuffer) {
      this.#inBuffer = packet.buffer;
      this.#in = new DataView(packet.buffer);
    }
    const v = this.#in;
    const at = packet.byteOffset;
    // Is it a TCP segment with payload, and where are its headers?
    let version = length >= 20 ? v.getUint8(at) >> 4 : 0;
    let l4 = 0;
    if (version === 4) {
      const ihl = (v.getUint8(at) & 0x0f) * 4;
      const fragment = v.getUint16(at + 6) & 0x3fff; // MF or an offset
      if (ihl !== 20 || v.getUint8(at + 9) !== PROTO_TCP || fragment !== 0) version = 0;
      else if (v.getUint16(at + 2) !== length) version = 0;
      l4 = 20;
    } else if (version === 6) {
      if (length < 60 || v.getUint8(at + 6) !== PROTO_TCP) version = 0;
      else if (v.getUint16(at + 4) + 40 !== length) version = 0;
      l4 = 40;
    } else {
      version = 0;
    }
    let headers = 0;
    if (version !== 0) {
      headers = length >= l4 + 20 ? l4 + (v.getUint8(at + l4 + 12) >> 4) * 4 : 0;
      if (headers < l4 + 20 || headers > length) version = 0;
    }
    if (version === 0) {
      // A TCP packet of an odd shape (IP options, extension headers) must not be passed by
      // later segments of its flow joining an earlier run: close every run first.
      if (!isUdpOrIcmp(v, at, length)) this.#closeRuns();
      this.#stage(packet, length, PLAIN, 0, 0, 0);
      return;
    }
    const tcp = at + l4;
    const flags = v.getUint8(tcp + 13);
    const payload = length - headers;
    const joinable = this.#joining && payload > 0 && (flags & ~TCP_PSH) === TCP_ACK;
    const run = this.#newestOfFlow(v, at, version, l4);
    if (run >= 0 && joinable && this.#join(run, packet, v, at, length, headers, payload, flags)) {
      this.stats.joined++;
      return;
    }
    // Its flow's newest run, if any, must not grow past this packet.
    if (run >= 0 && this.#state[run] === OPEN) this.#state[run] = CLOSED;
    const state = joinable && (flags & TCP_PSH) === 0 ? OPEN : CLOSED;
    const slot = this.#stage(packet, length, state, version, l4, headers);
    if (slot < 0) return;
    this.#mss[slot] = payload;
    this.#segments[slot] = 1;
    this.#nextSeq[slot] = (v.getUint32(tcp + 4) + payload) >>> 0;
    this.#lastId[slot] = version === 4 ? v.getUint16(at + 4) : 0;
  }

  /** Writes every staged packet in order; staging is empty afterwards. */
  flush(): void {
    for (let s = 0; s < this.#used; s++) {
      const view = this.#views[s];
      const length = this.#length[s];
      const run = this.#segments[s] > 1 && this.#state[s] !== PLAIN;
      if (run) this.#finishRun(s, view, length);
      else writeVnetHdr(view, 0, 0, VNET_GSO_NONE, 0, 0, 0, 0);
      if (this.#write(this.#slots[s], VNET_HDR_SIZE + length) < 0) {
        if (run) this.#writeSegments(s, length);
        else this.stats.writeErrors++;
      }
      this.#state[s] = FREE;
    }
    this.#used = 0;
  }

  /** Run `s`, refused whole: written again segment by segment, and no run is joined again. */
  #writeSegments(s: number, length: number): void {
    this.stats.refusedSuperPackets++;
    this.#joining = false;
    const segmenter = this.#segmenter ??= new GsoSegmenter();
    const out = this.#segment ??= new Uint8Array(VNET_HDR_SIZE + MAX_PACKET);
    const count = segmenter.start(this.#slots[s], 0, VNET_HDR_SIZE + length);
    const outView = new DataView(out.buffer);
    writeVnetHdr(outView, 0, 0, VNET_GSO_NONE, 0, 0, 0, 0);
    for (let i = 0; i < count; i++) {
      const n = segmenter.write(i, out, VNET_HDR_SIZE);
      if (n < 0 || this.#write(out, VNET_HDR_SIZE + n) < 0) this.stats.writeErrors++;
    }
    if (count < 0) this.stats.writeErrors += this.#segments[s];
  }

  /** Packets staged and not yet written. */
  get staged(): number {
    return this.#used;
  }

  #stage(
    packet: Uint8Array,
    length: number,
    state: number,
    version: number,
    l4: number,
    headers: number,
  ): number {
    if (this.#used === this.#slots.length) this.flush();
    const s = this.#used++;
    this.#slots[s].set(
      length === packet.length ? packet : packet.subarray(0, length),
      VNET_HDR_SIZE,
    );
    this.#state[s] = state;
    this.#length[s] = length;
    this.#version[s] = version;
    this.#l4[s] = l4;
    this.#headers[s] = headers;
    this.#segments[s] = 1;
    return s;
  }

  #closeRuns(): void {
    for (let s = 0; s < this.#used; s++) if (this.#state[s] === OPEN) this.#state[s] = CLOSED;
  }

  /** The newest slot holding a TCP packet of this packet's flow (addresses, ports), or -1. */
  #newestOfFlow(v: DataView, at: number, version: number, l4: number): number {
    for (let s = this.#used - 1; s >= 0; s--) {
      const state = this.#state[s];
      if (state === PLAIN || this.#version[s] !== version) continue;
      const w = this.#views[s];
      const ip = VNET_HDR_SIZE;
      if (w.getUint32(ip + l4) !== v.getUint32(at + l4)) continue; // ports
      if (version === 4) {
        if (w.getUint32(ip + 12) !== v.getUint32(at + 12)) continue;
        if (w.getUint32(ip + 16) !== v.getUint32(at + 16)) continue;
      } else {
        let same = true;
        for (let i = 8; i < 40 && same; i += 4) same = w.getUint32(ip + i) === v.getUint32(at + i);
        if (!same) continue;
      }
      return s;
    }
    return -1;
  }

  /** Appends the segment to run `s` if it may join; false (nothing changed) if not. */
  #join(
    s: number,
    packet: Uint8Array,
    v: DataView,
    at: number,
    length: number,
    headers: number,
    payload: number,
    flags: number,
  ): boolean {
    if (this.#state[s] !== OPEN || this.#headers[s] !== headers) return false;
    if (payload > this.#mss[s]) return false;
    if (this.#length[s] + payload > MAX_PACKET - (this.#version[s] === 4 ? 40 : 0)) return false;
    const w = this.#views[s];
    const ip = VNET_HDR_SIZE;
    const l4 = this.#l4[s];
    const tcp = at + l4;
    if (v.getUint32(tcp + 4) !== this.#nextSeq[s]) return false;
    if (v.getUint32(tcp + 8) !== w.getUint32(ip + l4 + 8)) return false; // ACK number
    if (this.#version[s] === 4) {
      if (v.getUint8(at + 1) !== w.getUint8(ip + 1)) return false; // TOS
      if (v.getUint8(at + 8) !== w.getUint8(ip + 8)) return false; // TTL
      if (v.getUint16(at + 6) !== w.getUint16(ip + 6)) return false; // DF
      if (v.getUint16(at + 4) !== ((this.#lastId[s] + 1) & 0xffff)) return false;
    } else {
      if (v.getUint32(at) !== w.getUint32(ip)) return false; // class and flow label
      if (v.getUint8(at + 7) !== w.getUint8(ip + 7)) return false; // hop limit
    }
    for (let i = l4 + 20; i < headers; i += 4) {
      if (v.getUint32(at + i) !== w.getUint32(ip + i)) return false; // options
    }
    const end = ip + this.#length[s];
    this.#slots[s].set(packet.subarray(headers, length), end);
    this.#length[s] += payload;
    this.#segments[s]++;
    this.#nextSeq[s] = (this.#nextSeq[s] + payload) >>> 0;
    if (this.#version[s] === 4) this.#lastId[s] = v.getUint16(at + 4);
    w.setUint16(ip + l4 + 14, v.getUint16(tcp + 14)); // the newest window
    if ((flags & TCP_PSH) !== 0) {
      w.setUint8(ip + l4 + 13, w.getUint8(ip + l4 + 13) | TCP_PSH);
      this.#state[s] = CLOSED;
    } else if (payload < this.#mss[s]) {
      this.#state[s] = CLOSED;
    }
    return true;
  }

  /**
   * A run of several segments: lengths and IPv4 header checksum for the whole, the TCP
   * checksum field seeded with the pseudo-header (the kernel finishes it, or trusts it: the
   * tunnel authenticated every byte), and the header telling the kernel the segment size.
   */
  #finishRun(s: number, w: DataView, length: number): void {
    const ip = VNET_HDR_SIZE;
    const l4 = this.#l4[s];
    const version = this.#version[s];
    if (version === 4) {
      w.setUint16(ip + 2, length);
      w.setUint16(ip + 10, 0);
      w.setUint16(ip + 10, ~foldSum(sumBytes(w, ip, 20)) & 0xffff);
    } else {
      w.setUint16(ip + 4, length - 40);
    }
    const seed = foldSum(pseudoHeaderSum(w, ip, version, PROTO_TCP, length - l4));
    w.setUint16(ip + l4 + 16, seed);
    writeVnetHdr(
      w,
      0,
      VNET_F_NEEDS_CSUM,
      version === 4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6,
      this.#headers[s],
      this.#mss[s],
      l4,
      16,
    );
    this.stats.superPackets++;
  }
}
