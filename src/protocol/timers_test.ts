import assert from "node:assert/strict";
import {
  DEFAULT_TIMERS,
  PeerTimers,
  resolveTimers,
  TIMER_NEW_HANDSHAKE,
  TIMER_PERSISTENT_KEEPALIVE,
  TIMER_SEND_KEEPALIVE,
} from "./timers.ts";
import { KEEPALIVE_TIMEOUT, REKEY_TIMEOUT } from "./constants.ts";
import { activityViews, createActivityBuffer, type PeerActivity } from "./peer_activity.ts";

function timers(persistentMs = 0): { t: PeerTimers; a: PeerActivity } {
  const [a] = activityViews(createActivityBuffer(1, false), 1);
  return { t: new PeerTimers(DEFAULT_TIMERS, persistentMs, a), a };
}

Deno.test("timers fire once at their deadline and are then disarmed", () => {
  const { t, a } = timers();
  a.transportReceived(1000, 48, true);
  assert.equal(t.nextDeadline(), 1000 + KEEPALIVE_TIMEOUT);
  assert.equal(t.due(1000 + KEEPALIVE_TIMEOUT - 1), 0);
  assert.equal(t.due(1000 + KEEPALIVE_TIMEOUT), TIMER_SEND_KEEPALIVE);
  assert.equal(t.due(1000 + KEEPALIVE_TIMEOUT + 1), 0);
  assert.equal(t.nextDeadline(), Infinity);
});

Deno.test("sending anything authenticated cancels the passive keepalive; receiving cancels the rekey", () => {
  const { t, a } = timers();
  a.transportReceived(0, 48, true);
  assert.equal(t.sendKeepaliveAt, KEEPALIVE_TIMEOUT);
  a.transportSent(5, 48, true);
  assert.equal(t.sendKeepaliveAt, Infinity, "data sent back cancels the keepalive");
  assert.equal(t.newHandshakeAt, 5 + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT);
  a.transportReceived(6, 32, false);
  assert.equal(t.newHandshakeAt, Infinity, "a keepalive received cancels the new handshake");
  assert.equal(t.sendKeepaliveAt, Infinity, "a keepalive is not data: nothing to answer");
  assert.equal(t.due(1e9), 0);
  // Handshake messages count as authenticated packets both ways, too.
  a.transportReceived(10, 48, true);
  a.handshakeSent(11, 148);
  assert.equal(t.sendKeepaliveAt, Infinity);
  a.transportSent(12, 48, true);
  a.handshakeReceived(13, 92);
  assert.equal(t.newHandshakeAt, Infinity);
});

Deno.test("data sent keeps the first new-handshake deadline rather than pushing it out", () => {
  const { t, a } = timers();
  a.transportSent(0, 48, true);
  a.transportSent(5000, 48, true);
  assert.equal(t.due(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT), TIMER_NEW_HANDSHAKE);
});

Deno.test("persistent keepalive restarts on every authenticated packet either way, once per quiet spell", () => {
  const { t, a } = timers(25_000);
  assert.equal(t.nextDeadline(), Infinity, "nothing before the first packet");
  a.transportSent(0, 32, false);
  a.transportReceived(10_000, 32, false);
  assert.equal(t.due(25_000), 0);
  assert.equal(t.due(35_000), TIMER_PERSISTENT_KEEPALIVE);
  assert.equal(t.due(36_000), 0, "fired once");
  a.transportSent(40_000, 32, false);
  assert.equal(t.nextDeadline(), 65_000);
  assert.equal(t.due(65_000), TIMER_PERSISTENT_KEEPALIVE);
});

Deno.test("a second data packet during a pending keepalive schedules another after it", () => {
  const { t, a } = timers();
  a.transportReceived(0, 48, true);
  a.transportReceived(10, 48, true);
  assert.equal(t.due(KEEPALIVE_TIMEOUT), TIMER_SEND_KEEPALIVE);
  t.rearmKeepaliveIfNeeded(KEEPALIVE_TIMEOUT);
  assert.equal(t.nextDeadline(), 2 * KEEPALIVE_TIMEOUT);
  t.rearmKeepaliveIfNeeded(KEEPALIVE_TIMEOUT + 1);
  assert.equal(t.nextDeadline(), 2 * KEEPALIVE_TIMEOUT, "only one more");
});

Deno.test("timer overrides are validated and message limits capped at exact numbers", () => {
  assert.equal(resolveTimers({ rekeyTimeout: 100 }).rekeyTimeout, 100);
  assert.throws(() => resolveTimers({ keepaliveTimeout: NaN }), /timers\.keepaliveTimeout/);
  assert.throws(() => resolveTimers({ rejectAfterMessages: 2 ** 60 }), /rejectAfterMessages/);
});
