import assert from "node:assert/strict";
import { parseCidr } from "../net/cidr.ts";
import { parseIpAddress } from "../net/ip_address.ts";
import { prefixContains } from "./prefix_contains.ts";

function inside(prefix: string, address: string): boolean {
  const a = parseIpAddress(address);
  return prefixContains(parseCidr(prefix), a.family, a.address);
}

Deno.test("prefixContains compares whole and partial bytes of the prefix", () => {
  assert.equal(inside("192.168.50.0/24", "192.168.50.7"), true);
  assert.equal(inside("192.168.50.0/24", "192.168.51.7"), false);
  assert.equal(inside("10.0.0.0/9", "10.127.0.1"), true);
  assert.equal(inside("10.0.0.0/9", "10.128.0.1"), false);
  assert.equal(inside("0.0.0.0/0", "8.8.8.8"), true);
  assert.equal(inside("2001:db8:100::/56", "2001:db8:100:ff::1"), true);
  assert.equal(inside("2001:db8:100::/56", "2001:db8:101::1"), false);
  assert.equal(inside("10.77.0.2/32", "10.77.0.2"), true);
});

Deno.test("prefixContains never matches across address families", () => {
  assert.equal(inside("::/0", "10.0.0.1"), false);
  assert.equal(inside("0.0.0.0/0", "::1"), false);
});
