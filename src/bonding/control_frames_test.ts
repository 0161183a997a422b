import assert from "node:assert/strict";
import { Endpoint } from "../protocol/endpoint.ts";
import {
  CONTROL_HEADER_SIZE,
  type ControlFrame,
  MAX_CONTROL_FRAME,
  MAX_FORWARDS_PER_FRAME,
  MAX_LINK_NAME_BYTES,
  MAX_REFUSAL_REASON_BYTES,
  MAX_REFUSALS_PER_ACK,
} from "./control_frame_types.ts";
import { decodeControlFrame, encodeControlFrame } from "./control_frames.ts";
import { TestRandom } from "./test_random.ts";

const v6 = Endpoint.parse("[2001:db8::7]:51820");
const v4 = Endpoint.parse("198.51.100.9:40000");

/** One frame of every type, with values near their limits. */
const SAMPLES: ControlFrame[] = [
  { type: "link-hello", epoch: 0xdeadbeef, linkId: 3, name: "lte-ü", downKbps: 0xffffffff },
  { type: "link-hello-ack", epoch: 7, linkId: 255, observed: v4 },
  { type: "link-hello-ack", epoch: 7, linkId: 0, observed: v6 },
  { type: "probe", pathId: 2, seq: 0xffffffff, sentAt: 123456.789 },
  { type: "probe-echo", pathId: 2, seq: 17, sentAt: 99.5, holdMs: 0.25 },
  {
    type: "receive-report",
    reportTime: 5000.125,
    entries: [
      { pathId: 0, packets: 1, bytes: 1400, highestCounter: 2 ** 53 - 1, highestAt: 4999.5 },
      { pathId: 9, packets: 2 ** 40, bytes: 2 ** 52 + 3, highestCounter: 0, highestAt: -3 },
    ],
  },
  { type: "receive-report", reportTime: 0, entries: [] },
  {
    type: "forward-sync",
    generation: 12,
    part: 1,
    parts: 2,
    forwards: [
      { proto: "tcp", port: 443, to: Endpoint.parse("192.168.1.10:8443") },
      { proto: "udp", port: 64999, to: Endpoint.parse("[fd00::10]:5000") },
    ],
  },
  { type: "forward-ack", generation: 0xffffffff, part: 0, parts: 1, refused: [] },
  { type: "mtu-probe", pathId: 1, seq: 5, size: 1400 },
  { type: "mtu-ack", pathId: 1, seq: 5, size: 1400 },
  {
    type: "forward-ack",
    generation: 3,
    part: 1,
    parts: 2,
    refused: [
      {
        proto: "tcp",
        port: 9000,
        to: Endpoint.parse("192.168.1.10:80"),
        reason: 'tcp/9000 is already forwarded to peers[1] ("office")',
      },
      { proto: "udp", port: 65001, to: Endpoint.parse("[fd00::10]:53"), reason: "ü" },
    ],
  },
  { type: "lan-prefix", address: ip6("2001:db8:100:1::"), prefixLength: 64 },
  { type: "lan-prefix", address: new Uint8Array(16), prefixLength: 0 },
  { type: "lan-prefix-ack", address: ip6("2001:db8:100:1::"), prefixLength: 64 },
  { type: "split-offer", listener: Endpoint.parse("10.66.0.1:65010") },
  { type: "split-offer", listener: Endpoint.parse("[fd66::1]:65010") },
];

function ip6(text: string): Uint8Array {
  return Endpoint.parse(`[${text}]:1`).ip.slice();
}

function encode(frame: ControlFrame): Uint8Array {
  const buf = new Uint8Array(2048);
  return buf.slice(0, encodeControlFrame(frame, buf));
}

/** Decoded frames hold Endpoint objects; compare them by their text. */
function plain(frame: unknown): unknown {
  return JSON.parse(
    JSON.stringify(
      frame,
      (_k, v) => v instanceof Endpoint ? v.toString() : v instanceof Uint8Array ? [...v] : v,
    ),
  );
}

Deno.test("every control frame type round-trips through encode and decode", () => {
  for (const frame of SAMPLES) {
    const bytes = encode(frame);
    const out = decodeControlFrame(bytes);
    assert.ok(out.frame, `${frame.type}: ${out.reason}`);
    assert.equal(out.length, bytes.length);
    assert.deepEqual(plain(out.frame), plain(frame));
  }
});

Deno.test("control frames never start with IP version nibble 4 or 6", () => {
  for (const frame of SAMPLES) assert.equal(encode(frame)[0] >> 4, 1, frame.type);
});

Deno.test("zero padding after a frame is ignored, as the core delivers it", () => {
  for (const frame of SAMPLES) {
    const bytes = encode(frame);
    const padded = new Uint8Array(Math.ceil(bytes.length / 16) * 16 + 16);
    padded.set(bytes);
    const out = decodeControlFrame(padded);
    assert.ok(out.frame, `${frame.type}: ${out.reason}`);
    assert.equal(out.length, bytes.length);
  }
});

Deno.test("encoding writes at an offset and reports the length", () => {
  const buf = new Uint8Array(100).fill(0xaa);
  const n = encodeControlFrame(SAMPLES[3], buf, 10);
  assert.equal(buf[9], 0xaa);
  assert.equal(buf[10 + n], 0xaa);
  const out = decodeControlFrame(buf.subarray(10));
  assert.deepEqual(out.frame, SAMPLES[3]);
});

Deno.test("every truncation of every frame is rejected", () => {
  for (const frame of SAMPLES) {
    const bytes = encode(frame);
    for (let k = 0; k < bytes.length; k++) {
      // Cut the buffer short of what the header announces.
      const cut = decodeControlFrame(bytes.subarray(0, k));
      assert.equal(cut.frame, null, `${frame.type} cut to ${k}`);
      assert.ok(cut.reason);
      // Cut the body and make the header agree: the body parser itself must notice.
      if (k < CONTROL_HEADER_SIZE) continue;
      const short = bytes.slice(0, k);
      short[2] = (k - CONTROL_HEADER_SIZE) >> 8;
      short[3] = k - CONTROL_HEADER_SIZE;
      const body = decodeControlFrame(short);
      assert.equal(body.frame, null, `${frame.type} body cut to ${k - CONTROL_HEADER_SIZE}`);
    }
  }
});

Deno.test("bytes beyond a frame's fields inside its declared length are rejected", () => {
  for (const frame of SAMPLES) {
    if (frame.type === "mtu-probe") continue; // its filler is the body's tail by design
    const bytes = encode(frame);
    const long = new Uint8Array(bytes.length + 1);
    long.set(bytes);
    const len = bytes.length + 1 - CONTROL_HEADER_SIZE;
    long[2] = len >> 8;
    long[3] = len;
    assert.equal(decodeControlFrame(long).frame, null, frame.type);
  }
});

Deno.test("decode names what is wrong with a bad frame", () => {
  const probe = encode(SAMPLES[3]);
  const reason = (b: Uint8Array) => decodeControlFrame(b).reason ?? "";
  assert.match(reason(new Uint8Array(0)), /truncated header/);
  assert.match(reason(Uint8Array.of(0x45, 1, 0, 0)), /not a control frame/);
  assert.match(reason(Uint8Array.of(0x1f, 1, 0, 0)), /unknown control frame type 0x1f/);
  const v2 = probe.slice();
  v2[1] = 2;
  assert.match(reason(v2), /unsupported control frame version 2/);
  const nan = probe.slice();
  nan.set([0x7f, 0xf8, 0, 0, 0, 0, 0, 0], 9);
  assert.match(reason(nan), /not finite/);
  const family = encode(SAMPLES[1]);
  family[9] = 5;
  assert.match(reason(family), /family/);
  const big = encode(SAMPLES[5]);
  big.set([0x00, 0x20, 0x00, 0x00], 14); // first entry's packets, high word 2^21: 2^53
  assert.match(reason(big), /2\^53/);
  const badName = encode({ type: "link-hello", epoch: 1, linkId: 1, name: "ab", downKbps: 0 });
  badName[10] = 0xff;
  assert.match(reason(badName), /UTF-8/);
  const mtu = encode(SAMPLES[9]);
  mtu[9] = 0;
  mtu[10] = 100;
  assert.match(reason(mtu), /claims 100 bytes/);
  const proto = encode(SAMPLES[7]);
  proto[11] = 1;
  assert.match(reason(proto), /neither tcp/);
});

Deno.test("long link names are cut at a character boundary", () => {
  const name = "é".repeat(MAX_LINK_NAME_BYTES); // two bytes each
  const out = decodeControlFrame(
    encode({ type: "link-hello", epoch: 1, linkId: 0, name, downKbps: 0 }),
  );
  assert.ok(out.frame?.type === "link-hello");
  assert.equal(out.frame.name, "é".repeat(MAX_LINK_NAME_BYTES / 2));
  const odd = "a" + name;
  const out2 = decodeControlFrame(
    encode({ type: "link-hello", epoch: 1, linkId: 0, name: odd, downKbps: 0 }),
  );
  assert.ok(out2.frame?.type === "link-hello");
  assert.equal(out2.frame.name, "a" + "é".repeat(MAX_LINK_NAME_BYTES / 2 - 1));
});

Deno.test("encode rejects out-of-range fields and small buffers", () => {
  const buf = new Uint8Array(MAX_CONTROL_FRAME);
  assert.throws(
    () => encodeControlFrame({ type: "probe", pathId: 256, seq: 0, sentAt: 0 }, buf),
    /pathId must be an integer in 0..255, got 256/,
  );
  assert.throws(
    () => encodeControlFrame({ type: "probe", pathId: 1, seq: 1.5, sentAt: 0 }, buf),
    /seq/,
  );
  assert.throws(
    () => encodeControlFrame({ type: "probe", pathId: 1, seq: 1, sentAt: NaN }, buf),
    /sentAt must be finite/,
  );
  assert.throws(() => encodeControlFrame(SAMPLES[5], new Uint8Array(20)), /needs \d+ bytes/);
  const many = Array.from({ length: MAX_FORWARDS_PER_FRAME + 1 }, () => ({
    proto: "tcp" as const,
    port: 80,
    to: v6,
  }));
  assert.throws(
    () =>
      encodeControlFrame(
        { type: "forward-sync", generation: 1, part: 0, parts: 1, forwards: many },
        buf,
      ),
    /forwards.length/,
  );
  // The most forwards a frame may hold still fit a minimum-MTU frame.
  const full = many.slice(1);
  const n = encodeControlFrame(
    { type: "forward-sync", generation: 1, part: 0, parts: 1, forwards: full },
    buf,
  );
  assert.ok(n <= MAX_CONTROL_FRAME);
});

Deno.test("decode never throws on random bytes (fuzz, seeded)", () => {
  const rnd = new TestRandom(0xb0d1);
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    const bytes = rnd.bytes(rnd.int(64));
    // Give most inputs a plausible header so the body parsers get exercised.
    if (bytes.length >= 4 && rnd.chance(0.8)) {
      bytes[0] = 0x11 + rnd.int(11);
      bytes[1] = 1;
      const len = rnd.chance(0.5) ? bytes.length - 4 : rnd.int(bytes.length);
      bytes[2] = len >> 8;
      bytes[3] = len;
    }
    const out = decodeControlFrame(bytes);
    if (out.frame) accepted++;
    else assert.equal(typeof out.reason, "string");
  }
  assert.ok(accepted > 0, "some random frames are well formed");
});

Deno.test("mutated valid frames decode to null or re-encode to the same bytes (fuzz, seeded)", () => {
  const rnd = new TestRandom(0x5eed);
  for (let i = 0; i < 20000; i++) {
    const frame = SAMPLES[rnd.int(SAMPLES.length)];
    const bytes = encode(frame);
    for (let m = 1 + rnd.int(3); m > 0; m--) bytes[rnd.int(bytes.length)] = rnd.int(256);
    const out = decodeControlFrame(bytes);
    if (!out.frame) continue;
    if (out.frame.type === "mtu-probe") continue; // filler is not carried in the decoded frame
    const again = encode(out.frame);
    assert.deepEqual(again, bytes.subarray(0, out.length), `mutation of ${frame.type}`);
  }
});

Deno.test("forward-ack: long reasons are cut at a character boundary, a full ack fits the MTU", () => {
  const refused = Array.from({ length: MAX_REFUSALS_PER_ACK }, (_, i) => ({
    proto: "udp" as const,
    port: 1000 + i,
    to: v6,
    reason: "é".repeat(MAX_REFUSAL_REASON_BYTES),
  }));
  const bytes = encode({ type: "forward-ack", generation: 1, part: 0, parts: 1, refused });
  assert.ok(bytes.length <= MAX_CONTROL_FRAME, `${bytes.length} bytes`);
  const out = decodeControlFrame(bytes);
  assert.ok(out.frame?.type === "forward-ack", out.reason);
  assert.equal(out.frame.refused.length, MAX_REFUSALS_PER_ACK);
  assert.equal(out.frame.refused[0].reason, "é".repeat(MAX_REFUSAL_REASON_BYTES / 2));
  assert.throws(
    () =>
      encode({
        type: "forward-ack",
        generation: 1,
        part: 0,
        parts: 1,
        refused: [...refused, refused[0]],
      }),
    /refused.length/,
  );
  assert.throws(
    () => encode({ type: "forward-ack", generation: 1, part: 1, parts: 1, refused: [] }),
    /part must be an integer in 0..0/,
  );
});

Deno.test("forward-ack and lan-prefix decode name what is wrong", () => {
  const reason = (b: Uint8Array) => decodeControlFrame(b).reason ?? "";
  const ack = encode(SAMPLES[11]);
  const parts = ack.slice();
  parts[8] = 2; // part 2 of 2
  assert.match(reason(parts), /forward-ack part 2 of 2/);
  const many = ack.slice();
  many[10] = MAX_REFUSALS_PER_ACK + 1;
  assert.match(reason(many), /refusals, max 8/);
  const proto = ack.slice();
  proto[11] = 1;
  assert.match(reason(proto), /forward-ack protocol 1 is neither tcp/);
  // First refusal: 11 + proto 1 + port 2 + endpoint 7 = reason length at 21.
  const text = ack.slice();
  text[22] = 0xff;
  assert.match(reason(text), /reason is not UTF-8/);
  const long = ack.slice();
  long[21] = MAX_REFUSAL_REASON_BYTES + 1;
  assert.match(reason(long), /truncated|reason is 121 bytes/);

  const prefix = encode(SAMPLES[12]);
  const hostBits = prefix.slice();
  hostBits[4 + 1 + 15] = 1;
  assert.match(reason(hostBits), /lan-prefix: bits beyond \/64 are set/);
  const length = prefix.slice();
  length[4] = 129;
  assert.match(reason(length), /prefix length 129 is not 0-128/);
  assert.throws(
    () => encode({ type: "lan-prefix", address: ip6("2001:db8::1"), prefixLength: 64 }),
    /bits beyond \/64/,
  );
  assert.throws(
    () => encode({ type: "lan-prefix-ack", address: new Uint8Array(4), prefixLength: 0 }),
    /4 bytes, want 16/,
  );
});

Deno.test("split-offer decode refuses a bad family, port 0 and a short body", () => {
  const reason = (b: Uint8Array) => decodeControlFrame(b).reason ?? "";
  const offer = encode({ type: "split-offer", listener: Endpoint.parse("10.66.0.1:65010") });
  const family = offer.slice();
  family[4] = 5;
  assert.match(reason(family), /split-offer endpoint family is not 4 or 6/);
  const port = offer.slice();
  port[9] = 0;
  port[10] = 0;
  assert.match(reason(port), /split-offer port 0/);
  const short = offer.slice();
  short[3] -= 2;
  assert.match(reason(short.subarray(0, short.length - 2)), /truncated split-offer/);
  const noPort = Endpoint.parse("10.66.0.1:1");
  noPort.port = 0;
  assert.throws(
    () => encode({ type: "split-offer", listener: noPort }),
    /listener.port must be an integer in 1..65535/,
  );
});
