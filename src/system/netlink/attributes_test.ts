import assert from "node:assert/strict";
import {
  align4,
  MessageBuilder,
  parseAttributes,
  parseMessages,
  readString,
  readU32,
} from "./attributes.ts";
import { NLA_F_NESTED } from "./constants.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("align4 rounds up to the next multiple of four", () => {
  assert.deepEqual([0, 1, 4, 5, 7, 8].map(align4), [0, 4, 4, 8, 8, 8]);
});

Deno.test("message builder lays out header, family struct and padded attributes", () => {
  const bytes = new MessageBuilder(16, 0x0400)
    .header(16, (v) => v.setInt32(4, 7, true))
    .u32(4, 1420)
    .string(3, "bnd0")
    .finish(0x01020304, 0x5);
  // 16 header + 16 ifinfomsg + 8 (u32 attr) + 12 (4 + "bnd0\0" padded to 8) = 52
  assert.equal(bytes.length, 52);
  assert.equal(
    hex(bytes),
    "34000000" + "1000" + "0504" + "04030201" + "00000000" + // nlmsghdr (flags 0x400|0x5)
      "00000000" + "07000000" + "00000000" + "00000000" + // ifinfomsg, index 7
      "0800" + "0400" + "8c050000" + // IFLA_MTU 1420
      "0900" + "0300" + "626e643000000000", // IFLA_IFNAME "bnd0\0" + 3 pad
  );
});

Deno.test("nested attribute length covers its children", () => {
  const bytes = new MessageBuilder(24, 0).nest(8, (m) => m.u32(2, 1400)).finish(1);
  const attrs = parseAttributes(bytes, 16);
  const nest = attrs.get(8);
  assert.ok(nest);
  assert.equal(nest.length, 8);
  assert.equal(readU32(parseAttributes(nest).get(2)!), 1400);
});

Deno.test("attribute parser masks the nested flag and keeps the last of a repeated type", () => {
  const buf = new Uint8Array(24);
  const v = new DataView(buf.buffer);
  v.setUint16(0, 8, true);
  v.setUint16(2, 5 | NLA_F_NESTED, true);
  v.setUint32(4, 1, true);
  v.setUint16(8, 8, true);
  v.setUint16(10, 5, true);
  v.setUint32(12, 2, true);
  v.setUint16(16, 7, true);
  v.setUint16(18, 3, true);
  buf.set([0x61, 0x62, 0x00], 20);
  const attrs = parseAttributes(buf);
  assert.equal(readU32(attrs.get(5)!), 2);
  assert.equal(readString(attrs.get(3)!), "ab");
});

Deno.test("message parser splits a datagram and rejects a length past its end", () => {
  const a = new MessageBuilder(3, 2).finish(9, 0, 77);
  const b = new MessageBuilder(2, 0).header(4, (v) => v.setInt32(0, -17, true)).finish(10);
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  const msgs = parseMessages(both);
  assert.deepEqual(msgs.map((m) => [m.type, m.flags, m.seq, m.pid, m.body.length]), [
    [3, 2, 9, 77, 0],
    [2, 0, 10, 0, 4],
  ]);
  const broken = both.slice();
  new DataView(broken.buffer).setUint32(16, 400, true);
  assert.throws(() => parseMessages(broken), /malformed netlink message: length 400 at offset 16/);
});
