import assert from "node:assert/strict";
import { Endpoint } from "../src/protocol/endpoint.ts";
import {
  addressOf,
  allocStable,
  decodeSockaddr,
  encodeSockaddr,
  ifreq,
  ifreqFlags,
  ifreqName,
  MMSGHDR_SIZE,
  readPointer,
  readRevents,
  setIfreqFlags,
  SOCKADDR_IN6_SIZE,
  SOCKADDR_IN_SIZE,
  writeIovec,
  writeMsghdr,
  writePointer,
  writePollfd,
} from "./structs.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("sockaddr_in encodes family little-endian, port big-endian, then the address", () => {
  const buf = new Uint8Array(32).fill(0xaa);
  const len = encodeSockaddr(Endpoint.parse("192.0.2.7:51820"), new DataView(buf.buffer), 0);
  assert.equal(len, SOCKADDR_IN_SIZE);
  assert.equal(hex(buf.subarray(0, 16)), "0200ca6cc000020700000000" + "00000000");
});

Deno.test("sockaddr_in6 encodes family, port, zero flowinfo, address, zero scope", () => {
  const buf = new Uint8Array(32).fill(0xaa);
  const len = encodeSockaddr(Endpoint.parse("[2001:db8::1]:443"), new DataView(buf.buffer), 2);
  assert.equal(len, SOCKADDR_IN6_SIZE);
  assert.equal(
    hex(buf.subarray(2, 30)),
    "0a0001bb" + "00000000" + "20010db8000000000000000000000001" + "00000000",
  );
  assert.equal(buf[0], 0xaa, "bytes before the offset untouched");
  assert.equal(buf[30], 0xaa, "bytes after the struct untouched");
});

Deno.test("IPv4 endpoint on a v6 socket becomes a v4-mapped sockaddr_in6", () => {
  const buf = new Uint8Array(28);
  const len = encodeSockaddr(Endpoint.parse("198.51.100.9:7"), new DataView(buf.buffer), 0, true);
  assert.equal(len, 28);
  assert.equal(hex(buf.subarray(8, 24)), "00000000000000000000ffffc6336409");
});

Deno.test("sockaddr decode fills an existing Endpoint for v4, v6 and v4-mapped", () => {
  const view = new DataView(new ArrayBuffer(28));
  const into = new Endpoint();
  const ip6 = into.ip;
  for (const text of ["203.0.113.200:65535", "[fd00::1:2]:1", "[::1]:9"]) {
    encodeSockaddr(Endpoint.parse(text), view, 0);
    assert.equal(decodeSockaddr(view, 0, into), true);
    assert.equal(into.toString(), text);
    assert.equal(into.ip, ip6, "same Uint8Array reused, nothing allocated");
  }
  encodeSockaddr(Endpoint.parse("10.1.2.3:4000"), view, 0, true);
  decodeSockaddr(view, 0, into);
  assert.equal(into.family, 4);
  assert.equal(into.toString(), "10.1.2.3:4000");
  assert.deepEqual(Array.from(into.ip.subarray(4)), new Array(12).fill(0));
});

Deno.test("sockaddr decode rejects an unknown family and leaves the Endpoint alone", () => {
  const view = new DataView(new ArrayBuffer(28));
  view.setUint16(0, 1, true); // AF_UNIX
  const into = Endpoint.parse("192.0.2.1:5");
  assert.equal(decodeSockaddr(view, 0, into), false);
  assert.equal(into.toString(), "192.0.2.1:5");
});

Deno.test("pointers above 4 GiB round-trip through writePointer/readPointer", () => {
  const view = new DataView(new ArrayBuffer(8));
  const address = 0x7ffd_1234_5678;
  writePointer(view, 0, address);
  assert.equal(view.getBigUint64(0, true), BigInt(address));
  assert.equal(readPointer(view, 0), address);
});

Deno.test("iovec and msghdr put each field at its 64-bit ABI offset", () => {
  const view = new DataView(new ArrayBuffer(MMSGHDR_SIZE + 16));
  writeIovec(view, MMSGHDR_SIZE, 0x1000, 1500);
  assert.equal(view.getBigUint64(MMSGHDR_SIZE, true), 0x1000n);
  assert.equal(view.getBigUint64(MMSGHDR_SIZE + 8, true), 1500n);
  writeMsghdr(view, 0, 0x2000, 28, 0x3000, 1, 0x4000, 64);
  assert.equal(view.getBigUint64(0, true), 0x2000n);
  assert.equal(view.getUint32(8, true), 28);
  assert.equal(view.getBigUint64(16, true), 0x3000n);
  assert.equal(view.getBigUint64(24, true), 1n);
  assert.equal(view.getBigUint64(32, true), 0x4000n);
  assert.equal(view.getBigUint64(40, true), 64n);
  assert.equal(view.getInt32(48, true), 0);
});

Deno.test("pollfd holds fd, events and cleared revents in 8 bytes", () => {
  const view = new DataView(new ArrayBuffer(16));
  view.setInt16(14, 0x11, true);
  writePollfd(view, 8, 42, 0x1);
  assert.equal(view.getInt32(8, true), 42);
  assert.equal(view.getInt16(12, true), 1);
  assert.equal(readRevents(view, 8), 0);
});

Deno.test("ifreq carries the name NUL-terminated and flags at byte 16", () => {
  const req = ifreq("bnd0");
  assert.equal(req.length, 40);
  assert.equal(ifreqName(req), "bnd0");
  setIfreqFlags(req, 0x1001);
  assert.equal(req[16], 0x01);
  assert.equal(req[17], 0x10);
  assert.equal(ifreqFlags(req), 0x1001);
  assert.throws(() => ifreq("a-name-too-long0"), /1-15 bytes/);
  assert.throws(() => ifreq(""), /1-15 bytes/);
});

Deno.test("allocStable buffers report a real, stable address", () => {
  const buf = allocStable(64);
  const a = addressOf(buf);
  assert.ok(a > 0);
  assert.equal(addressOf(buf), a);
  assert.equal(addressOf(buf.subarray(8)), a + 8);
});
