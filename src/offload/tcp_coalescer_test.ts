import assert from "node:assert/strict";
import { TcpCoalescer } from "./tcp_coalescer.ts";
import { GsoSegmenter } from "./gso_segmenter.ts";
import {
  newVnetHdr,
  readVnetHdr,
  VNET_F_NEEDS_CSUM,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  VNET_HDR_SIZE,
  type VnetHdr,
} from "./virtio_net_hdr.ts";
import {
  ACK,
  checksumsValid,
  FIN,
  pattern,
  PSH,
  SYN,
  tcpPacket,
  type TcpSpec,
  udpPacket,
} from "./test_packets.ts";

interface Written {
  hdr: VnetHdr;
  /** The whole write, header included (as the TUN device would get it). */
  raw: Uint8Array;
  packet: Uint8Array;
}

function collector() {
  const writes: Written[] = [];
  const c = new TcpCoalescer((buf, length) => {
    const raw = buf.slice(0, length);
    const hdr = newVnetHdr();
    readVnetHdr(new DataView(raw.buffer), 0, hdr);
    writes.push({ hdr, raw, packet: raw.subarray(VNET_HDR_SIZE) });
    return length;
  }, 8);
  return { c, writes };
}

/** `count` consecutive segments of one flow, `mss` payload each (the last `last` if given). */
function run(
  version: 4 | 6,
  count: number,
  mss: number,
  spec: Partial<TcpSpec> = {},
  last?: number,
) {
  const out: Uint8Array[] = [];
  let seq = spec.seq ?? 5000;
  for (let i = 0; i < count; i++) {
    const size = i === count - 1 && last !== undefined ? last : mss;
    out.push(tcpPacket({
      version,
      ...spec,
      seq,
      id: (spec.id ?? 300) + i,
      payload: pattern(size, seq),
      flags: i === count - 1 && spec.flags !== undefined ? spec.flags : ACK,
    }));
    seq += size;
  }
  return out;
}

function push(c: TcpCoalescer, packets: Uint8Array[]) {
  for (const p of packets) c.push(p, p.length);
}

/** What the kernel would make of a write: the segments, through our own segmenter. */
function resegment(w: Written): Uint8Array[] {
  const s = new GsoSegmenter();
  const n = s.start(w.raw, 0, w.raw.length);
  assert.ok(n > 0, `resegment: ${n}`);
  const out: Uint8Array[] = [];
  const slot = new Uint8Array(2048);
  for (let i = 0; i < n; i++) {
    const len = s.write(i, slot, 0);
    out.push(slot.slice(0, len));
  }
  return out;
}

for (const version of [4, 6] as const) {
  Deno.test(`coalescer: an IPv${version} run becomes one super-packet that segments back to the same bytes`, () => {
    const { c, writes } = collector();
    const segments = run(version, 20, 1368, { flags: ACK | PSH }, 700);
    push(c, segments);
    assert.equal(c.staged, 1);
    c.flush();
    assert.equal(writes.length, 1);
    const { hdr, packet } = writes[0];
    const l4 = version === 4 ? 20 : 40;
    assert.equal(hdr.gsoType, version === 4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6);
    assert.equal(hdr.flags, VNET_F_NEEDS_CSUM);
    assert.equal(hdr.gsoSize, 1368);
    assert.equal(hdr.csumStart, l4);
    assert.equal(hdr.csumOffset, 16);
    assert.equal(hdr.hdrLen, l4 + 20);
    assert.equal(packet.length, l4 + 20 + 19 * 1368 + 700);
    if (version === 4) {
      assert.equal(new DataView(packet.buffer, packet.byteOffset).getUint16(2), packet.length);
    }
    assert.deepEqual(resegment(writes[0]), segments);
    assert.equal(c.stats.joined, 19);
    assert.equal(c.stats.superPackets, 1);
  });
}

Deno.test("coalescer: a single packet goes out as it came, with a plain header", () => {
  const { c, writes } = collector();
  const p = udpPacket(4, pattern(100));
  const t = tcpPacket({ version: 6, payload: pattern(10) });
  push(c, [p, t]);
  c.flush();
  assert.equal(writes.length, 2);
  for (const [i, want] of [p, t].entries()) {
    assert.equal(writes[i].hdr.gsoType, VNET_GSO_NONE);
    assert.equal(writes[i].hdr.flags, 0);
    assert.deepEqual(writes[i].packet, want);
  }
});

Deno.test("coalescer: interleaved flows keep each flow in order; other packets keep their place", () => {
  const { c, writes } = collector();
  const a = run(4, 4, 1000, { host: 1 });
  const b = run(4, 4, 1000, { host: 2 });
  const u = udpPacket(4, pattern(30));
  push(c, [a[0], b[0], a[1], u, b[1], a[2], b[2], a[3], b[3]]);
  c.flush();
  // a's run, b's run, then the UDP packet (it came after both runs began).
  assert.equal(writes.length, 3);
  assert.deepEqual(resegment(writes[0]), a);
  assert.deepEqual(resegment(writes[1]), b);
  assert.deepEqual(writes[2].packet, u);
});

Deno.test("coalescer: what may not join starts a new slot, and the run before it stops growing", () => {
  // The segment that would follow run(4, 4, 1000)'s first, changed by `change`.
  const second = (change: Partial<TcpSpec>) =>
    tcpPacket({ version: 4, seq: 6000, id: 301, payload: pattern(1000, 6000), ...change });
  const cases: [string, (seg: Uint8Array[]) => Uint8Array[]][] = [
    ["a sequence gap", (s) => [s[0], s[2]]],
    ["a changed ACK number", (s) => [s[0], second({ ack: 99 })]],
    ["a non-consecutive IPv4 ID", (s) => [s[0], second({ id: 999 })]],
    ["another TTL", (s) => [s[0], second({ ttl: 3 })]],
    ["other options", (s) => [s[0], second({ options: [1, 1, 1, 1] })]],
    ["a larger segment", (s) => [s[0], second({ payload: pattern(1200, 6000) })]],
    ["a SYN", (s) => [s[0], second({ flags: SYN | ACK })]],
    ["a FIN", (s) => [s[0], second({ flags: FIN | ACK })]],
    ["a pure ACK", (s) => [s[0], second({ payload: new Uint8Array(0) })]],
  ];
  for (const [name, make] of cases) {
    const { c, writes } = collector();
    const packets = make(run(4, 4, 1000));
    push(c, packets);
    c.flush();
    const out = writes.flatMap((w) => w.hdr.gsoType === VNET_GSO_NONE ? [w.packet] : resegment(w));
    assert.deepEqual(out, packets, name);
    assert.equal(c.stats.joined, 0, name);
  }
});

Deno.test("coalescer: PSH and a short segment end a run; the next segments start another", () => {
  const { c, writes } = collector();
  const first = run(4, 3, 1000, { flags: ACK | PSH });
  const second = run(4, 3, 1000, { seq: 5000 + 3000, id: 303 }, 400);
  const third = run(4, 2, 1000, { seq: 5000 + 5400, id: 306 });
  push(c, [...first, ...second, ...third]);
  c.flush();
  assert.equal(writes.length, 3);
  assert.deepEqual(resegment(writes[0]), first);
  assert.deepEqual(resegment(writes[1]), second);
  assert.deepEqual(resegment(writes[2]), third);
});

Deno.test("coalescer: a run stops below 64 KiB of IPv4 total length", () => {
  const { c, writes } = collector();
  const segments = run(4, 60, 1400);
  push(c, segments);
  c.flush();
  for (const w of writes) assert.ok(w.packet.length <= 0xffff);
  assert.equal(writes.length, 2);
  assert.deepEqual(writes.flatMap(resegment), segments);
});

Deno.test("coalescer: an odd TCP packet closes open runs, so none is passed by its flow", () => {
  const { c, writes } = collector();
  const a = run(4, 3, 1000);
  // The same flow with an IP option (IHL 6): staged plain, between a[0] and a[1].
  const odd = new Uint8Array(a[1].length + 4);
  odd.set(a[1].subarray(0, 20));
  odd[0] = 0x46;
  odd.set([1, 1, 1, 1], 20);
  odd.set(a[1].subarray(20), 24);
  new DataView(odd.buffer).setUint16(2, odd.length);
  push(c, [a[0], odd, a[2]]);
  c.flush();
  assert.deepEqual(writes.map((w) => w.packet), [a[0], odd, a[2]]);
});

Deno.test("coalescer: full staging is written first, in order", () => {
  const { c, writes } = collector();
  const packets = Array.from({ length: 20 }, (_, i) => udpPacket(4, pattern(10 + i)));
  push(c, packets);
  assert.equal(writes.length, 16); // two flushes of 8 slots
  c.flush();
  assert.deepEqual(writes.map((w) => w.packet), packets);
  assert.ok(writes.every((w) => checksumsValid(w.packet)));
});

Deno.test("coalescer: refused writes are counted and staging still empties", () => {
  const c = new TcpCoalescer(() => -5, 4);
  const p = udpPacket(4, pattern(10));
  c.push(p, p.length);
  c.push(p, p.length);
  c.flush();
  assert.equal(c.stats.writeErrors, 2);
  assert.equal(c.staged, 0);
});

Deno.test("coalescer: a device that refuses super-packets gets the segments, and no run again", () => {
  const writes: Uint8Array[] = [];
  let refused = 0;
  const c = new TcpCoalescer((buf, length) => {
    const hdr = newVnetHdr();
    readVnetHdr(new DataView(buf.buffer, buf.byteOffset), 0, hdr);
    if (hdr.gsoType !== VNET_GSO_NONE) {
      refused++;
      return -22; // EINVAL
    }
    writes.push(buf.slice(VNET_HDR_SIZE, length));
    return length;
  }, 8);
  const first = run(4, 5, 1000);
  push(c, first);
  c.flush();
  assert.equal(refused, 1);
  assert.deepEqual(writes, first, "the refused run arrives segment by segment, unchanged");
  const second = run(4, 5, 1000, { seq: 10_000, id: 400 });
  push(c, second);
  c.flush();
  assert.equal(refused, 1, "nothing is joined after a refusal");
  assert.deepEqual(writes.slice(5), second);
  assert.equal(c.stats.refusedSuperPackets, 1);
  assert.equal(c.stats.writeErrors, 0);
});
