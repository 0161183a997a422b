import assert from "node:assert/strict";
import { foldSum, pseudoHeaderSum } from "./internet_checksum.ts";
import { GsoSegmenter, SEGMENT_BAD_HEADER, SEGMENT_UNSUPPORTED } from "./gso_segmenter.ts";
import {
  VNET_F_NEEDS_CSUM,
  VNET_GSO_ECN,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  VNET_GSO_UDP_L4,
  VNET_HDR_SIZE,
  writeVnetHdr,
} from "./virtio_net_hdr.ts";
import {
  ACK,
  checksumsValid,
  CWR,
  FIN,
  pattern,
  PSH,
  tcpPacket,
  udpPacket,
} from "./test_packets.ts";
import { loadWasmChecksum } from "./wasm_checksum.ts";

/** A read as the TUN device gives it: header, then the packet, at offset 3 of a larger buffer. */
function tunRead(
  packet: Uint8Array,
  gsoType: number,
  gsoSize: number,
  csum: { start: number; offset: number } | null,
): { data: Uint8Array; offset: number; length: number } {
  const data = new Uint8Array(3 + VNET_HDR_SIZE + packet.length + 5);
  data.set(packet, 3 + VNET_HDR_SIZE);
  const v = new DataView(data.buffer);
  writeVnetHdr(
    v,
    3,
    csum ? VNET_F_NEEDS_CSUM : 0,
    gsoType,
    0,
    gsoSize,
    csum?.start ?? 0,
    csum?.offset ?? 0,
  );
  return { data, offset: 3, length: VNET_HDR_SIZE + packet.length };
}

/** A super-packet whose TCP checksum holds only the pseudo-header seed (as the kernel sends). */
function superPacket(version: 4 | 6, payload: Uint8Array, flags: number, options: number[] = []) {
  const packet = tcpPacket({ version, payload, flags, seq: 0xfffff000, id: 0xfffe, options });
  const l4 = version === 4 ? 20 : 40;
  const v = new DataView(packet.buffer);
  v.setUint16(l4 + 16, foldSum(pseudoHeaderSum(v, 0, version, 6, packet.length - l4)));
  return packet;
}

function segmentAll(s: GsoSegmenter, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const slot = new Uint8Array(2048);
  for (let i = 0; i < count; i++) {
    const n = s.write(i, slot, 16);
    assert.ok(n > 0, `segment ${i} written`);
    out.push(slot.slice(16, 16 + n));
  }
  return out;
}

for (const version of [4, 6] as const) {
  Deno.test(`segmenter: an IPv${version} TCP super-packet becomes valid segments`, () => {
    const mss = 1368;
    const payload = pattern(mss * 9 + 500);
    const options = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]; // NOP NOP timestamps
    const packet = superPacket(version, payload, ACK | PSH | FIN | CWR, options);
    const l4 = version === 4 ? 20 : 40;
    const headers = l4 + 32;
    const read = tunRead(
      packet,
      version === 4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6 | VNET_GSO_ECN,
      mss,
      {
        start: l4,
        offset: 16,
      },
    );
    const s = new GsoSegmenter();
    assert.equal(s.start(read.data, read.offset, read.length), 10);
    const segments = segmentAll(s, 10);
    let joined = 0;
    segments.forEach((seg, i) => {
      const v = new DataView(seg.buffer);
      const body = seg.subarray(headers);
      assert.equal(body.length, i < 9 ? mss : 500);
      assert.deepEqual(body, payload.subarray(joined, joined + body.length));
      assert.ok(checksumsValid(seg), `segment ${i} checksums`);
      if (version === 4) {
        assert.equal(v.getUint16(2), seg.length);
        assert.equal(v.getUint16(4), (0xfffe + i) & 0xffff, "IPv4 IDs count up");
      } else {
        assert.equal(v.getUint16(4), seg.length - 40);
      }
      assert.equal(v.getUint32(l4 + 4), (0xfffff000 + joined) >>> 0, "sequence wraps");
      const flags = seg[l4 + 13];
      assert.equal(flags & (FIN | PSH), i === 9 ? FIN | PSH : 0, `FIN/PSH on ${i}`);
      assert.equal(flags & CWR, i === 0 ? CWR : 0, `CWR on ${i}`);
      assert.deepEqual([...seg.subarray(l4 + 20, l4 + 32)], options);
      joined += body.length;
    });
    assert.equal(joined, payload.length);
  });
}

Deno.test("segmenter: a payload of an exact multiple of gso_size has no empty last segment", () => {
  const packet = superPacket(4, pattern(1000 * 3), ACK);
  const read = tunRead(packet, VNET_GSO_TCPV4, 1000, { start: 20, offset: 16 });
  const s = new GsoSegmenter();
  assert.equal(s.start(read.data, read.offset, read.length), 3);
  for (const seg of segmentAll(s, 3)) assert.equal(seg.length, 1040);
  assert.equal(s.write(3, new Uint8Array(2048), 0), -1);
});

Deno.test("segmenter: a plain packet's partial UDP or TCP checksum is finished in place", () => {
  const s = new GsoSegmenter();
  for (const version of [4, 6] as const) {
    const l4 = version === 4 ? 20 : 40;
    for (
      const [packet, offset] of [
        [udpPacket(version, pattern(333)), 6],
        [tcpPacket({ version, payload: pattern(99) }), 16],
      ] as const
    ) {
      const v = new DataView(packet.buffer);
      v.setUint16(
        l4 + offset,
        foldSum(pseudoHeaderSum(v, 0, version, packet[version === 4 ? 9 : 6], packet.length - l4)),
      );
      assert.ok(!checksumsValid(packet));
      const read = tunRead(packet, VNET_GSO_NONE, 0, { start: l4, offset });
      assert.equal(s.start(read.data, read.offset, read.length), 1);
      const out = new Uint8Array(1500);
      const n = s.write(0, out, 16);
      assert.equal(n, packet.length);
      assert.ok(checksumsValid(out.subarray(16, 16 + n)), `IPv${version} offset ${offset}`);
    }
  }
});

Deno.test("segmenter: a UDP checksum that comes out 0 is sent as 0xffff", () => {
  // Choose two payload bytes so the full sum is 0xffff: the computed checksum is then 0.
  const payload = pattern(40);
  payload[0] = payload[1] = 0;
  const packet = udpPacket(4, payload, 0);
  const pseudoView = new DataView(packet.buffer);
  const seed = foldSum(pseudoHeaderSum(pseudoView, 0, 4, 17, packet.length - 20));
  pseudoView.setUint16(26, seed);
  // Finish it once; that checksum c, put into payload bytes 0-1, brings the sum to 0xffff.
  const withSeed = new GsoSegmenter();
  const probe = tunRead(packet, VNET_GSO_NONE, 0, { start: 20, offset: 6 });
  withSeed.start(probe.data, probe.offset, probe.length);
  const got = new DataView(probe.data.buffer).getUint16(probe.offset + VNET_HDR_SIZE + 26);
  pseudoView.setUint16(28, got); // adds exactly what was missing from 0xffff
  const read = tunRead(packet, VNET_GSO_NONE, 0, { start: 20, offset: 6 });
  const s = new GsoSegmenter();
  assert.equal(s.start(read.data, read.offset, read.length), 1);
  const out = new Uint8Array(200);
  const n = s.write(0, out, 0);
  assert.equal(new DataView(out.buffer).getUint16(26), 0xffff);
  assert.ok(checksumsValid(out.subarray(0, n)));
});

Deno.test("segmenter: packets without NEEDS_CSUM pass unchanged", () => {
  const packet = tcpPacket({ version: 4, payload: pattern(50) });
  const read = tunRead(packet, VNET_GSO_NONE, 0, null);
  const s = new GsoSegmenter();
  assert.equal(s.start(read.data, read.offset, read.length), 1);
  const out = new Uint8Array(200);
  assert.equal(s.write(0, out, 0), packet.length);
  assert.deepEqual(out.subarray(0, packet.length), packet);
});

Deno.test("segmenter: bad and unsupported reads are refused, not guessed", () => {
  const s = new GsoSegmenter();
  const tcp4 = superPacket(4, pattern(3000), ACK);
  const cases: [Uint8Array, number, number, { start: number; offset: number } | null, number][] = [
    [tcp4, VNET_GSO_UDP_L4, 1000, null, SEGMENT_UNSUPPORTED],
    [tcp4, VNET_GSO_TCPV6, 1000, null, SEGMENT_BAD_HEADER], // family mismatch
    [tcp4, VNET_GSO_TCPV4, 0, null, SEGMENT_BAD_HEADER], // no segment size
    [tcp4.subarray(0, 30), VNET_GSO_TCPV4, 1000, null, SEGMENT_BAD_HEADER], // cut short
    [tcp4.subarray(0, 40), VNET_GSO_TCPV4, 1000, null, SEGMENT_BAD_HEADER], // no payload
    [udpPacket(4, pattern(20)), VNET_GSO_TCPV4, 1000, null, SEGMENT_BAD_HEADER], // not TCP
    [tcp4, VNET_GSO_NONE, 0, { start: 20, offset: 4000 }, SEGMENT_BAD_HEADER], // csum outside
  ];
  for (const [packet, type, size, csum, want] of cases) {
    const read = tunRead(packet, type, size, csum);
    assert.equal(s.start(read.data, read.offset, read.length), want);
  }
  assert.equal(s.start(new Uint8Array(8), 0, 8), SEGMENT_BAD_HEADER);
});

Deno.test("segmenter: a segment that does not fit the slot is refused", () => {
  const packet = superPacket(4, pattern(3000), ACK);
  const read = tunRead(packet, VNET_GSO_TCPV4, 1400, { start: 20, offset: 16 });
  const s = new GsoSegmenter();
  assert.equal(s.start(read.data, read.offset, read.length), 3);
  assert.equal(s.write(0, new Uint8Array(1000), 0), -1);
});

Deno.test("segmenter: sums taken in WebAssembly memory give the same bytes as in JavaScript", () => {
  const wasm = loadWasmChecksum();
  assert.ok(wasm);
  const reads = [
    tunRead(superPacket(4, pattern(1368 * 4 + 77, 3), ACK | PSH), VNET_GSO_TCPV4, 1368, {
      start: 20,
      offset: 16,
    }),
    tunRead(superPacket(6, pattern(1000 * 5 + 1, 9), ACK), VNET_GSO_TCPV6, 1000, {
      start: 40,
      offset: 16,
    }),
  ];
  for (const version of [4, 6] as const) {
    const packet = udpPacket(version, pattern(333, 5));
    const l4 = version === 4 ? 20 : 40;
    const v = new DataView(packet.buffer);
    v.setUint16(l4 + 6, foldSum(pseudoHeaderSum(v, 0, version, 17, packet.length - l4)));
    reads.push(tunRead(packet, VNET_GSO_NONE, 0, { start: l4, offset: 6 }));
  }
  for (const [r, read] of reads.entries()) {
    const inJs: GsoSegmenter = new GsoSegmenter(wasm); // data outside the module's memory: summed in JS
    const count: number = inJs.start(read.data.slice(), read.offset, read.length);
    const expected = segmentAll(inJs, count);
    // The same read at an odd offset inside the module's memory.
    wasm.bytes.set(read.data.subarray(read.offset, read.offset + read.length), 5);
    const inWasm: GsoSegmenter = new GsoSegmenter(wasm);
    assert.equal(inWasm.start(wasm.bytes, 5, read.length), count);
    const got = segmentAll(inWasm, count);
    for (let i = 0; i < count; i++) {
      assert.deepEqual(got[i], expected[i], `read ${r} segment ${i}`);
      assert.ok(checksumsValid(got[i]), `read ${r} segment ${i} checksums`);
    }
  }
});
