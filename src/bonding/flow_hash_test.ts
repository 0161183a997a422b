import assert from "node:assert/strict";
import { flowHash } from "./flow_hash.ts";

function ipv4(src: number, dst: number, proto: number, sport: number, dport: number): Uint8Array {
  const p = new Uint8Array(40);
  p[0] = 0x45;
  p[3] = 40;
  p[9] = proto;
  p.set([10, 0, 0, src], 12);
  p.set([10, 0, 1, dst], 16);
  p.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 20);
  return p;
}

Deno.test("flow hash tells flows apart by addresses, protocol and ports", () => {
  const a = flowHash(ipv4(1, 2, 6, 1000, 80), 0, 40);
  assert.equal(flowHash(ipv4(1, 2, 6, 1000, 80), 0, 40), a, "same flow, same hash");
  for (
    const other of [ipv4(3, 2, 6, 1000, 80), ipv4(1, 2, 17, 1000, 80), ipv4(1, 2, 6, 1001, 80)]
  ) {
    assert.notEqual(flowHash(other, 0, 40), a);
  }
  // The payload and header fields outside the 5-tuple do not matter.
  const b = ipv4(1, 2, 6, 1000, 80);
  b[8] = 3; // TTL
  b[30] = 99;
  assert.equal(flowHash(b, 0, 40), a);
});

Deno.test("flow hash keeps the fragments of a datagram together", () => {
  const first = ipv4(1, 2, 17, 5000, 53);
  first[6] = 0x20; // more fragments
  const later = ipv4(1, 2, 17, 0, 0);
  later[7] = 185; // fragment offset, no ports in this fragment
  assert.equal(flowHash(first, 0, 40), flowHash(later, 0, 40));
});

Deno.test("flow hash reads IPv6 at an offset, and returns 0 for what is not IP", () => {
  const p = new Uint8Array(8 + 60);
  p[8] = 0x60;
  p[8 + 6] = 6;
  p[8 + 23] = 1;
  p[8 + 39] = 2;
  p.set([0x04, 0x00, 0x00, 0x50], 8 + 40);
  const h = flowHash(p, 8, 60);
  assert.notEqual(h, 0);
  p[8 + 41] = 1;
  assert.notEqual(flowHash(p, 8, 60), h);
  assert.equal(flowHash(Uint8Array.of(0x11, 1, 0, 0), 0, 4), 0);
  assert.equal(flowHash(p, 8, 20), 0, "truncated");
});

Deno.test("flow hashes spread evenly over their 32 bits", () => {
  const buckets = new Array(8).fill(0);
  for (let port = 1024; port < 1024 + 8000; port++) {
    buckets[flowHash(ipv4(1, 2, 6, port, 443), 0, 40) >>> 29]++;
  }
  for (const n of buckets) assert.ok(n > 800 && n < 1200, `bucket ${n} of 1000 expected`);
});
