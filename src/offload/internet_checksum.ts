/**
 * The Internet checksum (RFC 1071) over bytes in a DataView: a sum of big-endian 16-bit words
 * kept unfolded in a JS number (65 536 bytes of 32-bit words stay far below 2^53), folded to
 * 16 bits once at the end. Reading 32 bits at a time is valid because 2^16 ≡ 1 modulo 2^16 − 1,
 * the modulus of one's-complement addition; DataView reads need no alignment.
 */

/** The unfolded sum of `length` bytes from `offset`, plus `initial`; an odd last byte is the high half. */
export function sumBytes(view: DataView, offset: number, length: number, initial = 0): number {
  let a = initial;
  let b = 0;
  let i = offset;
  const end8 = offset + (length & ~7);
  // Two accumulators: independent additions the CPU can overlap.
  for (; i < end8; i += 8) {
    a += view.getUint32(i);
    b += view.getUint32(i + 4);
  }
  if (length & 4) {
    a += view.getUint32(i);
    i += 4;
  }
  if (length & 2) {
    b += view.getUint16(i);
    i += 2;
  }
  if (length & 1) b += view.getUint8(i) << 8;
  return a + b;
}

/** A sum folded to 16 bits with end-around carry (0 only when every word was 0). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum to store: the complement of the folded sum. */
export function checksumOf(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/**
 * The pseudo-header of TCP and UDP (RFC 793, RFC 8200 section 8.1) for the IP packet at
 * `ip`: source and destination addresses, protocol and the transport length, unfolded.
 */
export function pseudoHeaderSum(
  view: DataView,
  ip: number,
  version: number,
  protocol: number,
  transportLength: number,
): number {
  const addresses = version === 4 ? sumBytes(view, ip + 12, 8) : sumBytes(view, ip + 8, 32);
  return addresses + protocol + transportLength;
}
