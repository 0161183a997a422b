import assert from "node:assert/strict";
import { type ForwardEntry, MAX_FORWARDS_PER_FRAME } from "./control_frame_types.ts";
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

Deno.test("a set is sent at once, again every resend interval until acked, again on resend", () => {
  const s = new ForwardPushSender(41);
  assert.equal(s.set(entries(2)), true);
  const g = s.generation;
  assert.equal(s.due(0).length, 1);
  assert.equal(s.due(FORWARD_RESEND_MS - 1).length, 0);
  assert.equal(s.due(FORWARD_RESEND_MS).length, 1);
  assert.equal(s.onAck(g - 1), false, "an older generation's ack does not count");
  assert.equal(s.onAck(g), true);
  assert.equal(s.due(10 * FORWARD_RESEND_MS).length, 0);
  s.resend();
  assert.deepEqual(s.due(10 * FORWARD_RESEND_MS + 1).map((f) => f.generation), [g]);
});

Deno.test("the same set again is no news; a change is a new generation sent at once", () => {
  const s = new ForwardPushSender(7);
  s.set(entries(1));
  s.due(0);
  s.onAck(s.generation);
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
