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

Deno.test("timers fire once at their deadline and are then disarmed", () => {
  const t = new PeerTimers(DEFAULT_TIMERS, 0);
  t.dataReceived(1000);
  assert.equal(t.nextDeadline(), 1000 + KEEPALIVE_TIMEOUT);
  assert.equal(t.due(1000 + KEEPALIVE_TIMEOUT - 1), 0);
  assert.equal(t.due(1000 + KEEPALIVE_TIMEOUT), TIMER_SEND_KEEPALIVE);
  assert.equal(t.due(1000 + KEEPALIVE_TIMEOUT + 1), 0);
  assert.equal(t.nextDeadline(), Infinity);
});

Deno.test("sending anything authenticated cancels the passive keepalive; receiving cancels the rekey", () => {
  const t = new PeerTimers(DEFAULT_TIMERS, 0);
  t.dataReceived(0);
  t.dataSent(0);
  assert.equal(t.newHandshakeAt, KEEPALIVE_TIMEOUT + REKEY_TIMEOUT);
  t.anyAuthenticatedPacketSent();
  t.anyAuthenticatedPacketReceived();
  assert.equal(t.due(1e9), 0);
});

Deno.test("data sent keeps the first new-handshake deadline rather than pushing it out", () => {
  const t = new PeerTimers(DEFAULT_TIMERS, 0);
  t.dataSent(0);
  t.dataSent(5000);
  assert.equal(t.due(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT), TIMER_NEW_HANDSHAKE);
});

Deno.test("persistent keepalive restarts on every authenticated packet either way", () => {
  const t = new PeerTimers(DEFAULT_TIMERS, 25_000);
  t.anyAuthenticatedPacketTraversal(0);
  t.anyAuthenticatedPacketTraversal(10_000);
  assert.equal(t.due(25_000), 0);
  assert.equal(t.due(35_000), TIMER_PERSISTENT_KEEPALIVE);
});

Deno.test("a second data packet during a pending keepalive schedules another after it", () => {
  const t = new PeerTimers(DEFAULT_TIMERS, 0);
  t.dataReceived(0);
  t.dataReceived(10);
  assert.equal(t.due(KEEPALIVE_TIMEOUT), TIMER_SEND_KEEPALIVE);
  t.rearmKeepaliveIfNeeded(KEEPALIVE_TIMEOUT);
  assert.equal(t.nextDeadline(), 2 * KEEPALIVE_TIMEOUT);
});

Deno.test("timer overrides are validated and message limits capped at exact numbers", () => {
  assert.equal(resolveTimers({ rekeyTimeout: 100 }).rekeyTimeout, 100);
  assert.throws(() => resolveTimers({ keepaliveTimeout: NaN }), /timers\.keepaliveTimeout/);
  assert.throws(() => resolveTimers({ rejectAfterMessages: 2 ** 60 }), /rejectAfterMessages/);
});
