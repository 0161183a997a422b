import assert from "node:assert/strict";
import { messageType, readCounter, writeTransportHeader } from "./wire.ts";
import { ipPacketLength } from "./inner_packet.ts";
import { toHex } from "./test_hex.ts";

Deno.test("transport header is type 4, three zero bytes, LE receiver and LE64 counter", () => {
  const buf = new Uint8Array(16).fill(0xee);
  writeTransportHeader(buf, 0, 0x11223344, 0x0102030405);
  assert.equal(toHex(buf), "04000000" + "44332211" + "0504030201000000");
  assert.equal(readCounter(buf, 8), 0x0102030405);
  assert.equal(messageType(buf), 4);
});

Deno.test("counters at or above 2^53 read as out of range", () => {
  const buf = new Uint8Array(16);
  writeTransportHeader(buf, 0, 1, 2 ** 53 - 1);
  assert.equal(readCounter(buf, 8), 2 ** 53 - 1);
  buf.set([0, 0, 0, 0, 0, 0, 0x20, 0], 8); // 2^53
  assert.equal(readCounter(buf, 8), -1);
  buf.fill(0xff, 8);
  assert.equal(readCounter(buf, 8), -1);
});

Deno.test("a message type with non-zero reserved bytes is no type at all", () => {
  assert.equal(messageType(Uint8Array.of(1, 0, 0, 0)), 1);
  assert.equal(messageType(Uint8Array.of(1, 0, 1, 0)), 0);
  assert.equal(messageType(Uint8Array.of(1, 0, 0)), 0);
});

Deno.test("inner packet length comes from the IP header and must fit what arrived", () => {
  const v4 = new Uint8Array(48);
  v4[0] = 0x45;
  v4[3] = 40;
  assert.equal(ipPacketLength(v4, 0, 48), 40, "padding stripped");
  v4[3] = 60;
  assert.equal(ipPacketLength(v4, 0, 48), -1, "claims more than arrived");
  v4[3] = 10;
  assert.equal(ipPacketLength(v4, 0, 48), -1, "shorter than its header");
  const v6 = new Uint8Array(64);
  v6[0] = 0x60;
  v6[5] = 8;
  assert.equal(ipPacketLength(v6, 0, 64), 48);
  assert.equal(ipPacketLength(v6, 0, 39), -1);
});
