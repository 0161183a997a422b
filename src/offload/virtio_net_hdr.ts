/**
 * The virtio_net_hdr a TUN device opened with IFF_VNET_HDR puts in front of every packet read
 * and expects in front of every packet written (include/uapi/linux/virtio_net.h, 10 bytes):
 * flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. The 16-bit fields are in the
 * host's byte order (a TUN device without TUNSETVNETLE/BE uses the legacy native order).
 */

export const VNET_HDR_SIZE = 10;

/** flags: the transport checksum is partial (seeded with the pseudo-header), finish it. */
export const VNET_F_NEEDS_CSUM = 1;
/** flags: the checksum was verified. */
export const VNET_F_DATA_VALID = 2;

/** gso_type values. */
export const VNET_GSO_NONE = 0;
export const VNET_GSO_TCPV4 = 1;
export const VNET_GSO_UDP = 3;
export const VNET_GSO_TCPV6 = 4;
export const VNET_GSO_UDP_L4 = 5;
/** gso_type bit: the segments carry ECN (CWR only on the first). */
export const VNET_GSO_ECN = 0x80;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A parsed header (one object reused per read, never allocated per packet). */
export interface VnetHdr {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export function newVnetHdr(): VnetHdr {
  return { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };
}

export function readVnetHdr(view: DataView, at: number, out: VnetHdr): void {
  out.flags = view.getUint8(at);
  out.gsoType = view.getUint8(at + 1);
  out.hdrLen = view.getUint16(at + 2, HOST_LITTLE_ENDIAN);
  out.gsoSize = view.getUint16(at + 4, HOST_LITTLE_ENDIAN);
  out.csumStart = view.getUint16(at + 6, HOST_LITTLE_ENDIAN);
  out.csumOffset = view.getUint16(at + 8, HOST_LITTLE_ENDIAN);
}

export function writeVnetHdr(
  view: DataView,
  at: number,
  flags: number,
  gsoType: number,
  hdrLen: number,
  gsoSize: number,
  csumStart: number,
  csumOffset: number,
): void {
  view.setUint8(at, flags);
  view.setUint8(at + 1, gsoType);
  view.setUint16(at + 2, hdrLen, HOST_LITTLE_ENDIAN);
  view.setUint16(at + 4, gsoSize, HOST_LITTLE_ENDIAN);
  view.setUint16(at + 6, csumStart, HOST_LITTLE_ENDIAN);
  view.setUint16(at + 8, csumOffset, HOST_LITTLE_ENDIAN);
}

/** A header that says "one plain packet, checksum as it is". */
export function writePlainVnetHdr(view: DataView, at: number): void {
  writeVnetHdr(view, at, 0, VNET_GSO_NONE, 0, 0, 0, 0);
}
