import assert from "node:assert/strict";
import {
  LAN_PREFIX_RESEND_MS,
  LanPrefixPush,
  LanPrefixReceiver,
  NO_PREFIX,
} from "./lan_prefix_push.ts";
import { parseIPv6 } from "../net/ip_address.ts";
import { decodeControlFrame, encodeControlFrame } from "./control_frames.ts";

const home = { address: parseIPv6("2001:db8:100::"), prefixLength: 64 };
const office = { address: parseIPv6("2001:db8:100:1::"), prefixLength: 64 };

Deno.test("lan prefix: sent when asked, resent until acked, again on a new session", () => {
  const push = new LanPrefixPush([home, office, null]);
  const first = push.due(0, 1, 100);
  assert.equal(first?.type, "lan-prefix");
  assert.deepEqual([...first!.address], [...office.address]);
  assert.equal(push.due(1, 1, 100), undefined, "not again before the resend interval");
  assert.ok(push.due(LAN_PREFIX_RESEND_MS, 1, 100), "resent while unacked");
  assert.equal(push.onAck(1, home), false, "another peer's prefix is no ack");
  assert.equal(push.onAck(1, office), true);
  assert.equal(push.acked(1), true);
  assert.equal(push.due(10 * LAN_PREFIX_RESEND_MS, 1, 100), undefined, "acked: quiet");
  assert.ok(push.due(10 * LAN_PREFIX_RESEND_MS, 1, 200), "a new session sends again");
  assert.equal(push.acked(1), false);
  // A peer without a prefix is told "none"; a peer index out of range gets nothing.
  assert.equal(push.due(0, 2, 1)?.prefixLength, 0);
  assert.equal(push.onAck(2, NO_PREFIX), true);
  assert.equal(push.due(0, 7, 1), undefined);
  assert.equal(push.onAck(7, NO_PREFIX), false);
});

Deno.test("lan prefix: the router acks every frame and reports changes only", () => {
  const r = new LanPrefixReceiver();
  const none = r.onPrefix(NO_PREFIX);
  assert.equal(none.ack.prefixLength, 0);
  assert.equal("changed" in none, false, "a first 'none' is no news");
  const a = r.onPrefix(home);
  assert.deepEqual(a.changed, home);
  assert.equal(a.ack.type, "lan-prefix-ack");
  assert.deepEqual([...a.ack.address], [...home.address]);
  assert.equal("changed" in r.onPrefix(home), false, "a resend is no news");
  assert.deepEqual(r.onPrefix(office).changed, office);
  assert.equal(r.onPrefix(NO_PREFIX).changed, null, "withdrawn");
  // The ack is a valid frame.
  const buf = new Uint8Array(64);
  const d = decodeControlFrame(buf.slice(0, encodeControlFrame(a.ack, buf)));
  assert.equal(d.frame?.type, "lan-prefix-ack");
});
