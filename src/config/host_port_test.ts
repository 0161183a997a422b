import assert from "node:assert/strict";
import { parseHostPort } from "./host_port.ts";

Deno.test("parseHostPort reads IPv4, bracketed IPv6 and host names", () => {
  assert.deepEqual(parseHostPort("203.0.113.10:65535"), { host: "203.0.113.10", port: 65535 });
  assert.deepEqual(parseHostPort("[2001:db8::1]:51820"), { host: "2001:db8::1", port: 51820 });
  assert.deepEqual(parseHostPort("VPS.example.net:1"), { host: "vps.example.net", port: 1 });
});

Deno.test("parseHostPort asks for brackets around a bare IPv6 address", () => {
  assert.throws(() => parseHostPort("2001:db8::1:51820"), /put an IPv6 address in brackets/);
});

Deno.test("parseHostPort rejects ports outside 1-65535", () => {
  assert.throws(() => parseHostPort("192.0.2.1:0"), /port 0 out of range 1-65535/);
  assert.throws(() => parseHostPort("192.0.2.1:65536"), /port 65536 out of range/);
  assert.throws(() => parseHostPort("192.0.2.1:http"), /bad port "http"/);
  assert.throws(() => parseHostPort("192.0.2.1"), /missing :port/);
});

Deno.test("parseHostPort rejects malformed hosts", () => {
  assert.throws(() => parseHostPort("300.1.1.1:80"), /not an IPv4 address/);
  assert.throws(() => parseHostPort("bad_name:80"), /not a host name or IP address/);
  assert.throws(() => parseHostPort("[192.0.2.1]:80"), /brackets are only for IPv6/);
});

Deno.test("parseHostPort with ipOnly refuses host names", () => {
  assert.throws(() => parseHostPort("nas.lan:80", { ipOnly: true }), /want an IP address/);
  assert.equal(parseHostPort("192.168.1.50:9987", { ipOnly: true }).port, 9987);
});
