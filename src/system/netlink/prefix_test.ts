import assert from "node:assert/strict";
import { formatAddress, formatPrefix, parsePrefix } from "./prefix.ts";

Deno.test("prefixes parse to family, bytes and length, and format back", () => {
  const v4 = parsePrefix("10.66.0.2/24");
  assert.deepEqual([v4.family, Array.from(v4.address), v4.length], [4, [10, 66, 0, 2], 24]);
  const v6 = parsePrefix("fd66::2/64");
  assert.equal(v6.family, 6);
  assert.equal(v6.address.length, 16);
  assert.equal(formatPrefix(v6), "fd66::2/64");
  assert.equal(formatPrefix(parsePrefix("192.0.2.1")), "192.0.2.1/32");
  assert.equal(formatPrefix(parsePrefix("2001:db8::1")), "2001:db8::1/128");
  assert.equal(formatPrefix(parsePrefix("default", 6)), "::/0");
  assert.equal(formatAddress(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
});

Deno.test("bad prefixes are refused naming the input", () => {
  assert.throws(() => parsePrefix("10.0.0.0/33"), /0-32 for IPv4 in 10\.0\.0\.0\/33/);
  assert.throws(() => parsePrefix("fd00::/129"), /0-128 for IPv6 in fd00::\/129/);
  assert.throws(() => parsePrefix("10.0.0.0/x"), /prefix length/);
  assert.throws(() => parsePrefix("default"), /needs a family/);
  assert.throws(() => parsePrefix("10.0.0.0/8", 6), /not an IPv6 prefix/);
  assert.throws(() => parsePrefix("300.0.0.1/8"), /not an IPv4 address/);
  assert.throws(() => formatAddress(new Uint8Array(5)), /4 or 16 bytes, not 5/);
});
