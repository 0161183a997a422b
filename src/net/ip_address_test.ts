import assert from "node:assert/strict";
import { parseCidr } from "./cidr.ts";
import { parseIpAddress } from "./ip_address.ts";

Deno.test("parseCidr reads an IPv4 prefix keeping host bits", () => {
  const c = parseCidr("10.66.0.2/24");
  assert.equal(c.family, 4);
  assert.deepEqual([...c.address], [10, 66, 0, 2]);
  assert.equal(c.prefix, 24);
  assert.equal(c.text, "10.66.0.2/24");
});

Deno.test("parseCidr reads IPv6 into 16 bytes with canonical text", () => {
  const c = parseCidr("FD66:0:0::2/64");
  assert.equal(c.family, 6);
  assert.equal(c.address.length, 16);
  assert.equal(c.address[0], 0xfd);
  assert.equal(c.address[15], 2);
  assert.equal(c.text, "fd66::2/64");
});

Deno.test("parseCidr without a prefix means one host", () => {
  assert.equal(parseCidr("192.0.2.7").prefix, 32);
  assert.equal(parseCidr("2001:db8::1").prefix, 128);
});

Deno.test("parseCidr accepts the whole-family prefixes 0 and the maximum", () => {
  assert.equal(parseCidr("0.0.0.0/0").prefix, 0);
  assert.equal(parseCidr("::/0").text, "::/0");
  assert.equal(parseCidr("2001:db8::/128").prefix, 128);
});

Deno.test("parseCidr rejects a prefix longer than the family allows", () => {
  assert.throws(() => parseCidr("10.0.0.0/33"), /prefix length 33 out of range 0-32 for IPv4/);
  assert.throws(() => parseCidr("fd00::/129"), /prefix length 129 out of range 0-128 for IPv6/);
});

Deno.test("parseCidr rejects bad addresses and non-numeric prefixes", () => {
  assert.throws(() => parseCidr("10.0.0.256/8"), /not an IPv4 address/);
  assert.throws(() => parseCidr("fd66:::1/64"), /not an IPv6 address/);
  assert.throws(() => parseCidr("10.0.0.0/x"), /bad prefix length "x"/);
  assert.throws(() => parseCidr("10.0.0.0/"), /bad prefix length/);
});

Deno.test("parseIpAddress tells the families apart", () => {
  assert.equal(parseIpAddress("192.168.1.20").family, 4);
  assert.equal(parseIpAddress("2001:db8::20").family, 6);
  assert.throws(() => parseIpAddress("eth0"), /not an IPv4 address/);
});
