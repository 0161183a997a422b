/**
 * Checks on the IP packet inside a transport message or read from the tunnel: version, header
 * length, and the length field (which also strips the sender's zero padding).
 */

export const IPV4_HEADER_MIN = 20;
export const IPV6_HEADER_SIZE = 40;
export const IPV4_SRC_OFFSET = 12;
export const IPV4_DST_OFFSET = 16;
export const IPV6_SRC_OFFSET = 8;
export const IPV6_DST_OFFSET = 24;

/** 4, 6, or 0 for anything else (bond control frames start with another nibble). */
export function ipVersion(buf: Uint8Array, offset: number, length: number): number {
  if (length < 1) return 0;
  const v = buf[offset] >> 4;
  return v === 4 || v === 6 ? v : 0;
}

/**
 * The packet's length according to its own header, or -1 if the header is truncated or claims
 * more bytes than `length` (what arrived). A shorter claim is fine: the rest is padding.
 */
export function ipPacketLength(buf: Uint8Array, offset: number, length: number): number {
  const v = ipVersion(buf, offset, length);
  if (v === 4) {
    if (length < IPV4_HEADER_MIN) return -1;
    const total = (buf[offset + 2] << 8) | buf[offset + 3];
    const ihl = (buf[offset] & 0x0f) * 4;
    if (ihl < IPV4_HEADER_MIN || total < ihl || total > length) return -1;
    return total;
  }
  if (v === 6) {
    if (length < IPV6_HEADER_SIZE) return -1;
    const total = IPV6_HEADER_SIZE + ((buf[offset + 4] << 8) | buf[offset + 5]);
    if (total > length) return -1;
    return total;
  }
  return -1;
}
