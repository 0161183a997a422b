import assert from "node:assert/strict";
import { AllowedIps, parsePrefix } from "./allowed_ips.ts";
import { formatAddress, parseIPv4, parseIPv6 } from "../net/ip_address.ts";

const v4 = (t: string) => parseIPv4(t);
const v6 = (t: string) => parseIPv6(t);

/** Whether address `a` lies in the prefix `e` (the naive scans' reference). */
function matches(a: Uint8Array, e: { addr: Uint8Array; bits: number }): boolean {
  for (let b = 0; b < e.bits; b++) {
    const mask = 0x80 >> (b & 7);
    if ((a[b >> 3] & mask) !== (e.addr[b >> 3] & mask)) return false;
  }
  return true;
}

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
  for (let i = 0; i < 3000; i++) {
    const a = Uint8Array.of(10, rnd(5), rnd(256), rnd(256));
    let best: { bits: number; value: number } | undefined;
    for (const e of naive) if (matches(a, e) && (!best || e.bits > best.bits)) best = e;
    assert.equal(t.lookup(4, a, 0), best?.value, `address ${a.join(".")}`);
  }
});

Deno.test("allowed IPs answers anew after every change, though it remembers recent lookups", () => {
  const t = new AllowedIps<string>();
  t.insert("10.0.0.0/8", "a");
  assert.equal(t.lookup(4, v4("10.1.2.3"), 0), "a");
  assert.equal(t.lookup(4, v4("10.1.2.3"), 0), "a");
  t.insert("10.1.2.0/24", "b");
  assert.equal(t.lookup(4, v4("10.1.2.3"), 0), "b");
  t.removeValue("b");
  assert.equal(t.lookup(4, v4("10.1.2.3"), 0), "a");
  // A miss is remembered too, and forgotten when a prefix comes.
  assert.equal(t.lookup(4, v4("192.0.2.1"), 0), undefined);
  t.insert("192.0.2.0/24", "c");
  assert.equal(t.lookup(4, v4("192.0.2.1"), 0), "c");
  assert.equal(t.lookup(6, v6("fd00::1"), 0), undefined);
  t.insert("fd00::/64", "d");
  assert.equal(t.lookup(6, v6("fd00::1"), 0), "d");
  t.insert("fd00::/64", "e");
  assert.equal(t.lookup(6, v6("fd00::1"), 0), "e");
});

Deno.test("allowed IPs agrees with a naive scan while addresses repeat and the table changes", () => {
  // xorshift32: every bit of it is usable (an LCG's low bits cycle, and addresses built from
  // them repeat in step).
  let seed = 7;
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const t = new AllowedIps<number>();
  const naive: { family: 4 | 6; addr: Uint8Array; bits: number; value: number }[] = [];
  // A small set of addresses of each family, looked up again and again (cache hits, and
  // addresses sharing a cache slot), with prefixes added and values removed in between.
  const v4s = Array.from({ length: 600 }, () => Uint8Array.of(10, rnd(3), rnd(4), rnd(256)));
  const v6s = Array.from({ length: 600 }, () => {
    const a = new Uint8Array(16);
    // The same first 32 bits everywhere: the rest of the key must tell addresses apart.
    a[0] = 0xfd;
    a[7] = rnd(2);
    a[15] = rnd(256);
    return a;
  });
  for (let step = 0; step < 6000; step++) {
    const op = rnd(100);
    if (op < 3) {
      const family = rnd(2) === 0 ? 4 : 6;
      const base = family === 4 ? v4s[rnd(v4s.length)] : v6s[rnd(v6s.length)];
      const bits = family === 4 ? 8 + rnd(25) : 56 + rnd(73);
      const cidr = `${formatAddress(base)}/${bits}`;
      const value = rnd(20);
      t.insert(cidr, value);
      const p = parsePrefix(cidr);
      const same = naive.find((e) =>
        e.family === family && e.bits === bits && e.addr.every((b, k) => b === p.address[k])
      );
      if (same) same.value = value;
      else naive.push({ family, addr: p.address, bits, value });
    } else if (op < 4) {
      const value = rnd(20);
      t.removeValue(value);
      for (let i = naive.length - 1; i >= 0; i--) if (naive[i].value === value) naive.splice(i, 1);
    } else {
      const family = rnd(2) === 0 ? 4 : 6;
      const a = family === 4 ? v4s[rnd(v4s.length)] : v6s[rnd(v6s.length)];
      let best: { bits: number; value: number } | undefined;
      for (const e of naive) {
        if (e.family === family && matches(a, e) && (!best || e.bits > best.bits)) best = e;
      }
      assert.equal(t.lookup(family, a, 0), best?.value, `step ${step}, ${formatAddress(a)}`);
    }
  }
});
