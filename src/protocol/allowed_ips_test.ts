import assert from "node:assert/strict";
import { AllowedIps, parsePrefix } from "./allowed_ips.ts";
import { parseIPv4, parseIPv6 } from "../net/ip_address.ts";

const v4 = (t: string) => parseIPv4(t);
const v6 = (t: string) => parseIPv6(t);

Deno.test("allowed IPs picks the longest matching prefix", () => {
  const t = new AllowedIps<string>();
  t.insert("0.0.0.0/0", "default");
  t.insert("10.0.0.0/8", "ten");
  t.insert("10.1.0.0/16", "ten-one");
  t.insert("10.1.2.3/32", "host");
  assert.equal(t.lookup(4, v4("10.1.2.3"), 0), "host");
  assert.equal(t.lookup(4, v4("10.1.2.4"), 0), "ten-one");
  assert.equal(t.lookup(4, v4("10.2.0.1"), 0), "ten");
  assert.equal(t.lookup(4, v4("192.0.2.1"), 0), "default");
});

Deno.test("allowed IPs keeps IPv4 and IPv6 apart and returns undefined without a match", () => {
  const t = new AllowedIps<string>();
  t.insert("fd00::/8", "ula");
  t.insert("2001:db8::/32", "doc");
  assert.equal(t.lookup(6, v6("fd12::1"), 0), "ula");
  assert.equal(t.lookup(6, v6("2001:db8:1::1"), 0), "doc");
  assert.equal(t.lookup(6, v6("2001:db9::1"), 0), undefined);
  assert.equal(t.lookup(4, v4("10.0.0.1"), 0), undefined);
});

Deno.test("allowed IPs reads the address at an offset inside a packet buffer", () => {
  const t = new AllowedIps<number>();
  t.insert("192.168.1.0/24", 7);
  const packet = new Uint8Array(20);
  packet.set(v4("192.168.1.9"), 16);
  assert.equal(t.lookup(4, packet, 16), 7);
});

Deno.test("allowed IPs clears host bits and rejects malformed prefixes with the value named", () => {
  assert.deepEqual(parsePrefix("10.1.2.3/8").address, v4("10.0.0.0"));
  assert.throws(() => parsePrefix("10.0.0.0/33"), /10\.0\.0\.0\/33/);
  assert.throws(() => parsePrefix("10.0.0/8"), /10\.0\.0\/8/);
  assert.throws(() => parsePrefix("fd00::/129"), /fd00::\/129/);
});

Deno.test("allowed IPs removes every prefix of a value", () => {
  const t = new AllowedIps<string>();
  t.insert("10.0.0.0/8", "a");
  t.insert("10.1.0.0/16", "b");
  t.insert("::/0", "a");
  t.removeValue("a");
  assert.equal(t.lookup(4, v4("10.2.0.0"), 0), undefined);
  assert.equal(t.lookup(4, v4("10.1.0.0"), 0), "b");
  assert.equal(t.lookup(6, v6("::1"), 0), undefined);
  assert.deepEqual(t.entries(), [["10.1.0.0/16", "b"]]);
});

Deno.test("allowed IPs agrees with a naive linear scan on random prefixes", () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const t = new AllowedIps<number>();
  const naive: { addr: Uint8Array; bits: number; value: number }[] = [];
  for (let i = 0; i < 300; i++) {
    // Few distinct leading bytes so prefixes overlap and nest.
    const addr = Uint8Array.of(10, rnd(4), rnd(256), rnd(256));
    const bits = 8 + rnd(25);
    const cidr = `${addr.join(".")}/${bits}`;
    t.insert(cidr, i);
    const p = parsePrefix(cidr);
    const existing = naive.find((e) =>
      e.bits === bits && e.addr.every((b, k) => b === p.address[k])
    );
    if (existing) existing.value = i;
    else naive.push({ addr: p.address, bits, value: i });
  }
  const matches = (a: Uint8Array, e: { addr: Uint8Array; bits: number }) => {
    for (let b = 0; b < e.bits; b++) {
      const mask = 0x80 >> (b & 7);
      if ((a[b >> 3] & mask) !== (e.addr[b >> 3] & mask)) return false;
    }
    return true;
  };
  for (let i = 0; i < 3000; i++) {
    const a = Uint8Array.of(10, rnd(5), rnd(256), rnd(256));
    let best: { bits: number; value: number } | undefined;
    for (const e of naive) if (matches(a, e) && (!best || e.bits > best.bits)) best = e;
    assert.equal(t.lookup(4, a, 0), best?.value, `address ${a.join(".")}`);
  }
});
