import assert from "node:assert/strict";
import { checksumOf, foldSum, pseudoHeaderSum, sumBytes } from "./internet_checksum.ts";
import { naiveChecksum, pattern, tcpPacket } from "./test_packets.ts";

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

Deno.test("checksum: the RFC 1071 section 3 example sums to 0xddf2", () => {
  const bytes = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(foldSum(sumBytes(view(bytes), 0, 8)), 0xddf2);
});

Deno.test("checksum: a known IPv4 header's checksum is 0xb861", () => {
  const header = Uint8Array.from([
    0x45,
    0x00,
    0x00,
    0x73,
    0x00,
    0x00,
    0x40,
    0x00,
    0x40,
    0x11,
    0x00,
    0x00,
    0xc0,
    0xa8,
    0x00,
    0x01,
    0xc0,
    0xa8,
    0x00,
    0xc7,
  ]);
  assert.equal(checksumOf(sumBytes(view(header), 0, 20)), 0xb861);
});

Deno.test("checksum: every length and alignment matches a byte-pair reference", () => {
  const data = pattern(4200, 7);
  for (let i = 0; i < data.length; i += 5) data[i] ^= 0xff; // not just a ramp
  const v = view(data);
  for (const offset of [0, 1, 2, 3, 5, 64]) {
    for (let length = 0; length <= 70; length++) {
      const expect = naiveChecksum(data.subarray(offset, offset + length));
      assert.equal(checksumOf(sumBytes(v, offset, length)), expect, `${offset}+${length}`);
    }
    const expect = naiveChecksum(data.subarray(offset, offset + 4000));
    assert.equal(checksumOf(sumBytes(v, offset, 4000)), expect);
  }
});

Deno.test("checksum: all-ones data folds to 0xffff, never past 16 bits", () => {
  const ones = new Uint8Array(65536).fill(0xff);
  assert.equal(foldSum(sumBytes(view(ones), 0, ones.length)), 0xffff);
  assert.equal(foldSum(0), 0);
});

Deno.test("checksum: the pseudo-header sum verifies the TCP checksums of built packets", () => {
  for (const version of [4, 6] as const) {
    const packet = tcpPacket({ version, payload: pattern(1001) });
    const l4 = version === 4 ? 20 : 40;
    const v = view(packet);
    const sum = pseudoHeaderSum(v, 0, version, 6, packet.length - l4);
    // A correct checksum makes the whole sum 0xffff, so its checksum 0.
    assert.equal(checksumOf(sumBytes(v, l4, packet.length - l4, sum)), 0, `IPv${version}`);
    packet[l4 + 30] ^= 1;
    assert.notEqual(checksumOf(sumBytes(v, l4, packet.length - l4, sum)), 0);
  }
});
