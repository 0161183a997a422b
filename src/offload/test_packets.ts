/**
 * Test helpers: IPv4/IPv6 TCP and UDP packets built byte by byte, and checksums verified with
 * a plain byte-pair RFC 1071 sum (independent of internet_checksum.ts, which they check).
 */

/** RFC 1071 over byte pairs, folded and complemented. */
export function naiveChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

export interface TcpSpec {
  version: 4 | 6;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  id?: number;
  ttl?: number;
  tos?: number;
  sport?: number;
  dport?: number;
  /** Last byte of the source address (flows differ by it). */
  host?: number;
  /** TCP options, a multiple of 4 bytes. */
  options?: number[];
  payload: Uint8Array;
}

export const ACK = 0x10;
export const PSH = 0x08;
export const FIN = 0x01;
export const SYN = 0x02;
export const CWR = 0x80;

function ipHeader(version: 4 | 6, protocol: number, l4Length: number, s: Partial<TcpSpec>) {
  if (version === 4) {
    const h = new Uint8Array(20);
    const v = new DataView(h.buffer);
    h[0] = 0x45;
    h[1] = s.tos ?? 0;
    v.setUint16(2, 20 + l4Length);
    v.setUint16(4, s.id ?? 100);
    v.setUint16(6, 0x4000); // DF
    h[8] = s.ttl ?? 64;
    h[9] = protocol;
    h.set([10, 0, 0, s.host ?? 1], 12);
    h.set([10, 0, 1, 2], 16);
    v.setUint16(10, naiveChecksum(h));
    return h;
  }
  const h = new Uint8Array(40);
  const v = new DataView(h.buffer);
  v.setUint32(0, 0x60000000 | ((s.tos ?? 0) << 20));
  v.setUint16(4, l4Length);
  h[6] = protocol;
  h[7] = s.ttl ?? 64;
  h.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, s.host ?? 1], 8);
  h.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2], 24);
  return h;
}

function pseudo(ip: Uint8Array, protocol: number, l4: Uint8Array): Uint8Array {
  const v4 = ip[0] >> 4 === 4;
  const addresses = v4 ? ip.subarray(12, 20) : ip.subarray(8, 40);
  const out = new Uint8Array(addresses.length + 4 + l4.length + (l4.length & 1));
  out.set(addresses);
  const v = new DataView(out.buffer);
  v.setUint16(addresses.length, protocol);
  v.setUint16(addresses.length + 2, l4.length);
  out.set(l4, addresses.length + 4);
  return out;
}

/** A TCP packet with correct IPv4 header and TCP checksums. */
export function tcpPacket(s: TcpSpec): Uint8Array {
  const options = s.options ?? [];
  const tcp = new Uint8Array(20 + options.length + s.payload.length);
  const t = new DataView(tcp.buffer);
  t.setUint16(0, s.sport ?? 40000);
  t.setUint16(2, s.dport ?? 5201);
  t.setUint32(4, s.seq ?? 1000);
  t.setUint32(8, s.ack ?? 77);
  tcp[12] = ((20 + options.length) / 4) << 4;
  tcp[13] = s.flags ?? ACK;
  t.setUint16(14, s.window ?? 512);
  tcp.set(options, 20);
  tcp.set(s.payload, 20 + options.length);
  const ip = ipHeader(s.version, 6, tcp.length, s);
  t.setUint16(16, naiveChecksum(pseudo(ip, 6, tcp)));
  const out = new Uint8Array(ip.length + tcp.length);
  out.set(ip);
  out.set(tcp, ip.length);
  return out;
}

/** A UDP packet (checksum correct unless `check` is given). */
export function udpPacket(version: 4 | 6, payload: Uint8Array, check?: number): Uint8Array {
  const udp = new Uint8Array(8 + payload.length);
  const u = new DataView(udp.buffer);
  u.setUint16(0, 5353);
  u.setUint16(2, 5201);
  u.setUint16(4, udp.length);
  udp.set(payload, 8);
  const ip = ipHeader(version, 17, udp.length, {});
  u.setUint16(6, check ?? (naiveChecksum(pseudo(ip, 17, udp)) || 0xffff));
  const out = new Uint8Array(ip.length + udp.length);
  out.set(ip);
  out.set(udp, ip.length);
  return out;
}

/** Whether the IPv4 header checksum (if IPv4) and the TCP or UDP checksum verify. */
export function checksumsValid(packet: Uint8Array): boolean {
  const v4 = packet[0] >> 4 === 4;
  const l4 = v4 ? (packet[0] & 0x0f) * 4 : 40;
  if (v4 && naiveChecksum(packet.subarray(0, l4)) !== 0) return false;
  const protocol = v4 ? packet[9] : packet[6];
  const ip = packet.subarray(0, l4);
  return naiveChecksum(pseudo(ip, protocol, packet.subarray(l4))) === 0;
}

/** Bytes 0, 1, 2... (mod 251, so runs never line up with segment sizes). */
export function pattern(length: number, start = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) % 251);
}
