import assert from "node:assert/strict";
import { activityViews, createActivityBuffer, PeerActivity } from "./peer_activity.ts";

Deno.test("peer activity written through one view is seen through another over the same memory", () => {
  const buffer = createActivityBuffer(3, true);
  assert.ok(buffer instanceof SharedArrayBuffer);
  const tx = activityViews(buffer, 3);
  const control = new PeerActivity(buffer, 1, 3);
  assert.equal(control.lastTraversal, -Infinity);
  tx[1].transportSent(100, 1452, true);
  tx[1].transportSent(101, 32, false);
  assert.equal(control.txBytes, 1484);
  assert.equal(control.txPackets, 2);
  assert.equal(control.lastTraversal, 101);
  assert.equal(control.newHandshakeArmedAt, 100);
  // Other peers' records are untouched.
  assert.equal(tx[0].txPackets, 0);
  assert.equal(tx[2].lastTraversal, -Infinity);
  control.handshakeSent(102, 148);
  assert.equal(tx[1].txBytes, 1484 + 148, "handshake bytes count in the peer's totals");
});

Deno.test("peer activity refuses a slot outside the buffer", () => {
  const buffer = createActivityBuffer(2, false);
  assert.throws(() => new PeerActivity(buffer, 2, 2), /slot 2/);
  assert.throws(() => new PeerActivity(buffer, 0, 5), /too small/);
});
