import assert from "node:assert/strict";
import {
  type ForwardEntry,
  type ForwardRefusal,
  MAX_FORWARDS_PER_FRAME,
  MAX_REFUSALS_PER_ACK,
} from "./control_frame_types.ts";
import { forwardAckFrames } from "./forward_push_ack.ts";
import { FORWARD_RESEND_MS, ForwardPushSender } from "./forward_push_sender.ts";
import { ForwardPushReceiver } from "./forward_push_receiver.ts";
import { decodeControlFrame, encodeControlFrame } from "./control_frames.ts";
import { Endpoint } from "../protocol/endpoint.ts";

function entries(n: number): ForwardEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    proto: "tcp" as const,
    port: 1000 + i,
    to: Endpoint.parse(`192.168.50.2:${2000 + i}`),
  }));
}

function ack(generation: number, refused: ForwardRefusal[] = []) {
  return { generation, part: 0, parts: 1, refused };
}

Deno.test("a set is sent at once, again every resend interval until acked, again on resend", () => {
  const s = new ForwardPushSender(41);
  assert.equal(s.set(entries(2)), true);
  const g = s.generation;
  assert.equal(s.due(0).length, 1);
  assert.equal(s.due(FORWARD_RESEND_MS - 1).length, 0);
  assert.equal(s.due(FORWARD_RESEND_MS).length, 1);
  assert.equal(s.onAck(ack(g - 1)), false, "an older generation's ack does not count");
  assert.equal(s.onAck(ack(g)), true);
  assert.equal(s.due(10 * FORWARD_RESEND_MS).length, 0);
  s.resend();
  assert.deepEqual(s.due(10 * FORWARD_RESEND_MS + 1).map((f) => f.generation), [g]);
});

Deno.test("the same set again is no news; a change is a new generation sent at once", () => {
  const s = new ForwardPushSender(7);
  s.set(entries(1));
  s.due(0);
  s.onAck(ack(s.generation));
  assert.equal(s.set(entries(1)), false);
  assert.equal(s.due(10).length, 0);
  const before = s.generation;
  assert.equal(s.set([]), true);
  assert.equal(s.generation, before + 1);
  const frames = s.due(20);
  assert.deepEqual(frames.map((f) => [f.parts, f.forwards.length]), [[1, 0]]);
});

Deno.test("a long list goes in parts, each a valid frame; the receiver yields it whole once", () => {
  const s = new ForwardPushSender(0xffff_ffff);
  const list = entries(MAX_FORWARDS_PER_FRAME * 2 + 3);
  s.set(list);
  assert.equal(s.generation, 0, "the generation wraps at 2^32");
  const frames = s.due(0);
  assert.equal(frames.length, 3);
  const r = new ForwardPushReceiver();
  const buf = new Uint8Array(2048);
  const decoded = frames.map((f) => {
    const d = decodeControlFrame(buf.slice(0, encodeControlFrame(f, buf)));
    assert.ok(d.frame?.type === "forward-sync");
    return d.frame;
  });
  assert.equal(r.onSync(3, decoded[2]), undefined);
  assert.equal(r.onSync(3, decoded[0]), undefined);
  assert.equal(r.onSync(3, decoded[0]), undefined, "a duplicate part completes nothing");
  const whole = r.onSync(3, decoded[1]);
  assert.deepEqual(
    whole?.map((e) => [e.port, e.to.toString()]),
    list.map((e) => [e.port, e.to.toString()]),
  );
  // A re-send of the same generation is delivered again (its ack may have been lost).
  for (const f of decoded.slice(0, 2)) assert.equal(r.onSync(3, f), undefined);
  assert.equal(r.onSync(3, decoded[2])?.length, list.length);
});

Deno.test("a newer generation discards the parts of an older one", () => {
  const r = new ForwardPushReceiver();
  const old = {
    type: "forward-sync" as const,
    generation: 1,
    part: 0,
    parts: 2,
    forwards: entries(1),
  };
  assert.equal(r.onSync(0, old), undefined);
  const fresh = {
    type: "forward-sync" as const,
    generation: 2,
    part: 1,
    parts: 2,
    forwards: entries(1),
  };
  assert.equal(r.onSync(0, fresh), undefined);
  assert.equal(r.onSync(0, { ...old, part: 1 }), undefined, "the old generation is not completed");
  assert.equal(r.onSync(0, { ...fresh, part: 0 }), undefined, "the old part restarted gathering");
});

Deno.test("refusals come back in ack parts; acknowledged only once every part is in", () => {
  const s = new ForwardPushSender(5);
  s.set(entries(MAX_REFUSALS_PER_ACK + 3));
  s.due(0);
  const refused = entries(MAX_REFUSALS_PER_ACK + 1).map((e, i) => ({
    ...e,
    reason: `reason ${i}`,
  }));
  const frames = forwardAckFrames(s.generation, refused);
  assert.deepEqual(frames.map((f) => [f.part, f.parts, f.refused.length]), [
    [0, 2, MAX_REFUSALS_PER_ACK],
    [1, 2, 1],
  ]);
  // Each part is a valid frame on the wire.
  const buf = new Uint8Array(2048);
  const wire = frames.map((f) => {
    const d = decodeControlFrame(buf.slice(0, encodeControlFrame(f, buf)));
    assert.ok(d.frame?.type === "forward-ack", d.reason);
    return d.frame;
  });
  assert.equal(s.onAck(wire[1]), true);
  assert.equal(s.acked, false, "one part of two is not an acknowledgement");
  assert.deepEqual(s.refused, []);
  assert.ok(s.due(FORWARD_RESEND_MS).length > 0, "still resent while a part is missing");
  assert.equal(s.onAck(wire[0]), true);
  assert.equal(s.acked, true);
  // Read through a wider type: the earlier `deepEqual(s.refused, [])` narrowed it to never[].
  const got: readonly ForwardRefusal[] = (s as ForwardPushSender).refused;
  assert.deepEqual(got.map((r) => [r.port, r.reason]), refused.map((r) => [r.port, r.reason]));
  // A new set forgets the old refusals until its own ack arrives.
  s.set(entries(1));
  assert.deepEqual(s.refused, []);
  assert.equal(s.onAck(ack(s.generation - 1, refused)), false);
  assert.equal(s.onAck(ack(s.generation)), true);
  assert.equal(s.acked, true);
  assert.deepEqual(s.refused, []);
  assert.deepEqual(forwardAckFrames(9, []).map((f) => [f.parts, f.refused.length]), [[1, 0]]);
});
