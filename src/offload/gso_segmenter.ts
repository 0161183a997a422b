/**
 * Turns what a TUN read with IFF_VNET_HDR gives into IP packets the tunnel can carry: the
 * kernel's segmentation offload (TSO) done here. A read is a virtio_net_hdr and then either
 *   - one packet, whose TCP/UDP checksum may be partial (NEEDS_CSUM: seeded with the
 *     pseudo-header, to be summed from csum_start): finished in place; or
 *   - a TCP super-packet (gso_type TCPV4/TCPV6) of up to 64 KiB: cut into segments of
 *     gso_size payload bytes, each with the headers copied, the IPv4 total length, ID and
 *     header checksum, the IPv6 payload length, the TCP sequence number, flags (FIN and PSH on
 *     the last segment only, CWR on the first only) and a full TCP checksum of its own.
 * Anything else (UDP segmentation is never offered, so never expected) is refused.
 *
 * Sans-IO: `start` parses a read in place, `write(i, ...)` builds segment i where the caller
 * wants it (a send slot, behind its headroom). Nothing is allocated per packet beyond the
 * subarray view of each copy.
 *
 * Payload sums, most of the per-segment work, are taken from the read itself: in WebAssembly
 * when the read lies in the memory of the `WasmChecksum` given (the TX Worker reads the TUN
 * there), otherwise in JavaScript.
 */
import { checksumOf, pseudoHeaderSum, sumBytes } from "./internet_checksum.ts";
import type { WasmChecksum } from "./wasm_checksum.ts";
import {
  newVnetHdr,
  readVnetHdr,
  VNET_F_NEEDS_CSUM,
  VNET_GSO_ECN,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  VNET_HDR_SIZE,
} from "./virtio_net_hdr.ts";

const PROTO_TCP = 6;
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;
/** UDP's checksum field offset: a computed 0 is sent as 0xffff there (RFC 768, RFC 8200). */
const UDP_CHECK_OFFSET = 6;

/** Why `start` refused a read (counted by the caller). */
export const SEGMENT_BAD_HEADER = -1;
export const SEGMENT_UNSUPPORTED = -2;

export class GsoSegmenter {
  readonly #hdr = newVnetHdr();
  readonly #wasm: WasmChecksum | undefined;
  /** Whether `#data` lies in the WebAssembly module's memory (sum there). */
  #inWasm = false;
  #data: Uint8Array = new Uint8Array(0);
  #view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  #outBuffer: ArrayBufferLike | undefined;
  #outView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /** Offset of the IP packet in `#data`, and its length. */
  #ip = 0;
  #length = 0;
  /** For a super-packet: IP version, transport offset, headers' length, segment payload. */
  #version = 0;
  #l4 = 0;
  #headers = 0;
  #mss = 0;
  #count = 0;
  #firstSeq = 0;
  #firstId = 0;

  constructor(wasm?: WasmChecksum) {
    this.#wasm = wasm;
  }

  /**
   * Parses the read of `length` bytes at `offset` of `data` (virtio_net_hdr first). Returns
   * how many packets it makes (1 for a plain packet, whose checksum is finished in place), or
   * SEGMENT_BAD_HEADER / SEGMENT_UNSUPPORTED.
   */
  start(data: Uint8Array, offset: number, length: number): number {
    if (data !== this.#data) {
      this.#data = data;
      this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      this.#inWasm = this.#wasm !== undefined && data.buffer === this.#wasm.bytes.buffer;
    }
    this.#count = 0;
    if (length <= VNET_HDR_SIZE) return SEGMENT_BAD_HEADER;
    const view = this.#view;
    const hdr = this.#hdr;
    readVnetHdr(view, offset, hdr);
    const ip = offset + VNET_HDR_SIZE;
    const len = length - VNET_HDR_SIZE;
    this.#ip = ip;
    this.#length = len;
    const gso = hdr.gsoType & ~VNET_GSO_ECN;
    if (gso === VNET_GSO_NONE) {
      if ((hdr.flags & VNET_F_NEEDS_CSUM) !== 0 && !this.#finishChecksum()) {
        return SEGMENT_BAD_HEADER;
      }
      this.#count = 1;
      this.#mss = 0;
      return 1;
    }
    if (gso !== VNET_GSO_TCPV4 && gso !== VNET_GSO_TCPV6) return SEGMENT_UNSUPPORTED;
    const version = view.getUint8(ip) >> 4;
    if (len < 20 || version !== (gso === VNET_GSO_TCPV4 ? 4 : 6)) return SEGMENT_BAD_HEADER;
    let l4: number;
    if (version === 4) {
      l4 = (view.getUint8(ip) & 0x0f) * 4;
      if (l4 < 20 || view.getUint8(ip + 9) !== PROTO_TCP) return SEGMENT_BAD_HEADER;
    } else {
      // Extension headers, if any, are behind csum_start (where the TCP header begins).
      l4 = (hdr.flags & VNET_F_NEEDS_CSUM) !== 0 ? hdr.csumStart : 40;
      if (l4 < 40 || (l4 === 40 && view.getUint8(ip + 6) !== PROTO_TCP)) {
        return SEGMENT_BAD_HEADER;
      }
    }
    if (l4 + 20 > len) return SEGMENT_BAD_HEADER;
    const tcpHeader = (view.getUint8(ip + l4 + 12) >> 4) * 4;
    const headers = l4 + tcpHeader;
    if (tcpHeader < 20 || headers > len || hdr.gsoSize === 0) return SEGMENT_BAD_HEADER;
    this.#version = version;
    this.#l4 = l4;
    this.#headers = headers;
    this.#mss = hdr.gsoSize;
    this.#firstSeq = view.getUint32(ip + l4 + 4);
    this.#firstId = version === 4 ? view.getUint16(ip + 4) : 0;
    const payload = len - headers;
    if (payload <= 0) return SEGMENT_BAD_HEADER;
    this.#count = Math.ceil(payload / hdr.gsoSize);
    return this.#count;
  }

  /**
   * Writes packet `i` (0 ≤ i < what `start` returned) at `out[outOffset]`; returns its length,
   * or -1 when it does not fit in `out`.
   */
  write(i: number, out: Uint8Array, outOffset: number): number {
    const data = this.#data;
    const ip = this.#ip;
    if (this.#mss === 0) {
      if (outOffset + this.#length > out.length) return -1;
      out.set(data.subarray(ip, ip + this.#length), outOffset);
      return this.#length;
    }
    const headers = this.#headers;
    const from = headers + i * this.#mss;
    const payload = Math.min(this.#mss, this.#length - from);
    const total = headers + payload;
    if (i < 0 || i >= this.#count || outOffset + total > out.length) return -1;
    out.set(data.subarray(ip, ip + headers), outOffset);
    out.set(data.subarray(ip + from, ip + from + payload), outOffset + headers);
    this.#fixSegment(out, outOffset, i, ip + from, payload);
    return total;
  }

  /**
   * Lengths, IDs, sequence number, flags and checksums of segment `i` written at `at`, whose
   * payload was copied from `#data[from]`.
   */
  #fixSegment(out: Uint8Array, at: number, i: number, from: number, payload: number): void {
    if (out.buffer !== this.#outBuffer) {
      this.#outBuffer = out.buffer;
      this.#outView = new DataView(out.buffer);
    }
    const v = this.#outView;
    const ip = out.byteOffset + at;
    const l4 = this.#l4;
    const tcp = ip + l4;
    const tcpLength = this.#headers - l4 + payload;
    if (this.#version === 4) {
      v.setUint16(ip + 2, this.#headers + payload);
      v.setUint16(ip + 4, (this.#firstId + i) & 0xffff);
      v.setUint16(ip + 10, 0);
      v.setUint16(ip + 10, checksumOf(sumBytes(v, ip, l4)));
    } else {
      v.setUint16(ip + 4, this.#headers + payload - 40);
    }
    v.setUint32(tcp + 4, (this.#firstSeq + i * this.#mss) >>> 0);
    let flags = v.getUint8(tcp + 13);
    if (i < this.#count - 1) flags &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) flags &= ~TCP_CWR;
    v.setUint8(tcp + 13, flags);
    v.setUint16(tcp + 16, 0);
    const tcpHeader = tcpLength - payload;
    // The TCP header's length is a multiple of 4, so the payload's words line up either way.
    let sum = pseudoHeaderSum(v, ip, this.#version, PROTO_TCP, tcpLength) +
      sumBytes(v, tcp, tcpHeader);
    sum += this.#inWasm
      ? this.#wasm!.sum(this.#data.byteOffset + from, payload)
      : sumBytes(v, tcp + tcpHeader, payload);
    v.setUint16(tcp + 16, checksumOf(sum));
  }

  /** NEEDS_CSUM on a plain packet: sum from csum_start (the field holds the seed) and store. */
  #finishChecksum(): boolean {
    const { csumStart, csumOffset } = this.#hdr;
    const field = csumStart + csumOffset;
    if (field + 2 > this.#length) return false;
    const view = this.#view;
    const start = this.#ip + csumStart;
    const length = this.#length - csumStart;
    let check = checksumOf(
      this.#inWasm
        ? this.#wasm!.sum(this.#data.byteOffset + start, length)
        : sumBytes(view, start, length),
    );
    if (check === 0 && csumOffset === UDP_CHECK_OFFSET) check = 0xffff;
    view.setUint16(this.#ip + field, check);
    return true;
  }
}
