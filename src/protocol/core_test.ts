import assert from "node:assert/strict";
import {
  KEEPALIVE_TIMEOUT,
  MAX_TIMER_HANDSHAKES,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  MESSAGE_TRANSPORT,
  REJECT_AFTER_TIME,
  REKEY_ATTEMPT_TIME,
  REKEY_TIMEOUT,
  REKEY_TIMEOUT_JITTER_MAX,
} from "./constants.ts";
import { Endpoint } from "./endpoint.ts";
import { parseIPv6 } from "../net/ip_address.ts";
import {
  ipv4Packet,
  ipv6Packet,
  pair,
  pattern,
  type TestNetwork,
  type TestNode,
} from "./test_network.ts";

/** A -> B data packet that starts the handshake; returns the packet. */
function connect(net: TestNetwork, a: TestNode, b: TestNode): Uint8Array {
  const packet = ipv4Packet("10.0.0.2", "10.0.0.1", pattern(100, 1));
  net.sendFromTunnel(a, packet);
  net.deliverAll();
  assert.equal(a.peer.lastHandshakeMs, net.now, "handshake completed on the initiator");
  assert.equal(b.tunnel.length, 1, "the queued packet arrived");
  return packet;
}

Deno.test("two cores complete a handshake and carry data both ways byte-exact", () => {
  const { net, a, b } = pair();
  const first = connect(net, a, b);
  assert.deepEqual(b.tunnel[0], first);
  // Three messages crossed: initiation, response, then the queued data (which confirms keys).
  assert.deepEqual(net.log.map((d) => d.data[0]), [
    MESSAGE_INITIATION,
    MESSAGE_RESPONSE,
    MESSAGE_TRANSPORT,
  ]);
  assert.equal(
    b.peer.lastHandshakeMs,
    net.now,
    "responder confirmed by the first transport packet",
  );
  assert.equal(b.peer.endpoint?.toString(), "192.0.2.2:40000", "responder learned the endpoint");

  for (let i = 0; i < 20; i++) {
    const up = ipv4Packet("10.0.0.2", "10.0.0.1", pattern(1 + i * 67, i));
    const down = ipv4Packet("10.0.0.1", "10.0.0.2", pattern(1400 - i * 13, i + 100));
    net.sendFromTunnel(a, up);
    net.sendFromTunnel(b, down);
    net.deliverAll();
    assert.deepEqual(b.tunnel.at(-1), up);
    assert.deepEqual(a.tunnel.at(-1), down);
  }
  const v6 = ipv6Packet(parseIPv6("fd00::1"), parseIPv6("fd00::2"), pattern(333, 9));
  net.sendFromTunnel(b, v6);
  net.deliverAll();
  assert.deepEqual(a.tunnel.at(-1), v6);
  assert.equal(a.core.stats.handshakesCompleted, 1);
  assert.equal(b.core.stats.handshakesCompleted, 1);
  // Transport datagrams are padded to 16 and carry header + tag.
  for (const d of net.log.filter((d) => d.data[0] === MESSAGE_TRANSPORT)) {
    assert.equal((d.data.length - 32) % 16, 0);
  }
});

Deno.test("initiator sends a keepalive right after the response and the responder then promotes next", () => {
  const { net, a, b } = pair({ aPeer: { persistentKeepalive: 25 } });
  net.advance(0); // nothing yet
  a.core.tick(net.now); // startup keepalive: no keys yet, so a handshake starts
  assert.equal(net.queue.length, 1);
  assert.equal(net.queue[0].data[0], MESSAGE_INITIATION);
  const init = net.queue.shift()!;
  b.core.handleDatagram(net.now, init.data, init.from);
  assert.ok(b.peer.keypairs.next, "responder holds the new keypair in next");
  assert.equal(b.peer.keypairs.current, undefined);
  const resp = net.queue.shift()!;
  assert.equal(resp.data[0], MESSAGE_RESPONSE);
  a.core.handleDatagram(net.now, resp.data, resp.from);
  const keepalive = net.queue.shift()!;
  assert.equal(keepalive.data[0], MESSAGE_TRANSPORT);
  assert.equal(keepalive.data.length, 32, "empty payload: header + tag only");
  const next = b.peer.keypairs.next;
  b.core.handleDatagram(net.now, keepalive.data, keepalive.from);
  assert.equal(b.peer.keypairs.next, undefined);
  assert.equal(b.peer.keypairs.current, next, "next promoted to current");
  assert.equal(b.core.stats.keepalivesReceived, 1);
  assert.equal(b.tunnel.length, 0, "a keepalive is consumed, not written to the tunnel");
});

Deno.test("responder keeps sending under its old keys until the new ones are confirmed", () => {
  const { net, a, b } = pair({ a: { timers: { rekeyAfterTime: 2000 } } });
  connect(net, a, b);
  const oldB = b.peer.keypairs.current!;
  // Past REKEY_AFTER_TIME, and past REKEY_TIMEOUT since the last initiation.
  net.now += REKEY_TIMEOUT + 1;
  // A's send on old keys triggers a rekey; hold its initiation and deliver by hand.
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 1)));
  const [data, init] = net.queue.splice(0);
  assert.equal(data.data[0], MESSAGE_TRANSPORT);
  assert.equal(init.data[0], MESSAGE_INITIATION);
  b.core.handleDatagram(net.now, data.data, data.from);
  b.core.handleDatagram(net.now, init.data, init.from);
  assert.ok(b.peer.keypairs.next);
  // B sends before the confirmation: old current keys, which A still holds.
  net.queue.splice(0); // drop B's response so A cannot confirm yet
  const down = ipv4Packet("10.0.0.1", "10.0.0.2", pattern(50, 2));
  net.sendFromTunnel(b, down);
  assert.equal(b.peer.keypairs.current, oldB);
  net.deliverAll();
  assert.deepEqual(a.tunnel.at(-1), down);
});

Deno.test("rekey after REKEY_AFTER_TIME keeps data flowing across the new handshake", () => {
  const rekeyAfterTime = 3000;
  const { net, a, b } = pair({
    a: { timers: { rekeyAfterTime } },
    b: { timers: { rekeyAfterTime } },
  });
  connect(net, a, b);
  const firstKeys = a.peer.keypairs.current!;
  let sent = 1;
  for (let t = 0; t < 10_000; t += 250) {
    net.advance(250);
    const up = ipv4Packet("10.0.0.2", "10.0.0.1", pattern(200, t));
    const down = ipv4Packet("10.0.0.1", "10.0.0.2", pattern(300, t + 1));
    net.sendFromTunnel(a, up);
    net.sendFromTunnel(b, down);
    sent++;
    net.deliverAll();
    assert.deepEqual(b.tunnel.at(-1), up, `upstream at +${t}`);
    assert.deepEqual(a.tunnel.at(-1), down, `downstream at +${t}`);
  }
  assert.equal(b.tunnel.length, sent, "no packet lost across rekeys");
  assert.ok(a.core.stats.handshakesCompleted >= 3, `rekeyed: ${a.core.stats.handshakesCompleted}`);
  assert.notEqual(a.peer.keypairs.current, firstKeys);
  assert.equal(firstKeys.destroyed, true, "old keys wiped once rotated out");
  assert.equal(b.core.stats.dropBadAuth + a.core.stats.dropBadAuth, 0);
});

Deno.test("handshake retries with jitter after REKEY_TIMEOUT when the response is lost", () => {
  const { net, a, b } = pair();
  net.drop = (d) => d.sender === b;
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 1)));
  net.deliverAll();
  const gaps: number[] = [];
  let last = net.now;
  for (let i = 0; i < 6; i++) {
    const deadline = a.core.nextDeadline();
    assert.ok(deadline >= last + REKEY_TIMEOUT, `retry ${i} not before REKEY_TIMEOUT`);
    assert.ok(
      deadline <= last + REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX,
      `retry ${i} jitter bounded`,
    );
    const before = net.sentBy(a, MESSAGE_INITIATION).length;
    net.now = deadline - 1;
    a.core.tick(net.now);
    assert.equal(net.sentBy(a, MESSAGE_INITIATION).length, before, "nothing early");
    net.now = deadline;
    a.core.tick(net.now);
    assert.equal(net.sentBy(a, MESSAGE_INITIATION).length, before + 1, "retransmitted");
    gaps.push(deadline - last);
    last = deadline;
    net.deliverAll();
  }
  assert.ok(new Set(gaps).size > 1, `jitter varies: ${gaps}`);
  assert.equal(a.peer.handshakeAttempts, 6);
  assert.equal(b.core.stats.initiationsReceived, 7, "every attempt reached the responder");
});

Deno.test("initiator sends at most one initiation per REKEY_TIMEOUT however much data waits", () => {
  const { net, a } = pair();
  net.drop = () => true;
  for (let i = 0; i < 50; i++) {
    net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, i)));
    net.now += 50;
  }
  assert.equal(net.sentBy(a, MESSAGE_INITIATION).length, 1);
  assert.equal(a.core.sender.peers[0].staged.size, 50);
});

Deno.test("initiator gives up after REKEY_ATTEMPT_TIME and drops the queued packets", () => {
  const { net, a } = pair();
  net.drop = () => true;
  const start = net.now;
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 1)));
  net.advance(150_000);
  const inits = net.sentBy(a, MESSAGE_INITIATION);
  // The first initiation, then retransmissions until the count exceeds the maximum.
  assert.equal(inits.length, MAX_TIMER_HANDSHAKES + 2);
  const gaveUp = a.eventsOf("handshake-gave-up");
  assert.equal(gaveUp.length, 1);
  assert.ok(net.now - start > REKEY_ATTEMPT_TIME);
  assert.equal(a.core.sender.peers[0].staged.size, 0);
  assert.equal(a.core.stats.tunnelDropStagedFlushed, 1);
  const count = inits.length;
  net.advance(60_000);
  assert.equal(net.sentBy(a, MESSAGE_INITIATION).length, count, "silent after giving up");
});

Deno.test("passive keepalive: data received and nothing sent back for KEEPALIVE_TIMEOUT", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  const sentBefore = net.sentBy(b, MESSAGE_TRANSPORT).length;
  net.advance(KEEPALIVE_TIMEOUT - 200);
  assert.equal(net.sentBy(b, MESSAGE_TRANSPORT).length, sentBefore, "not before the timeout");
  net.advance(400);
  const after = net.sentBy(b, MESSAGE_TRANSPORT);
  assert.equal(after.length, sentBefore + 1);
  assert.equal(after.at(-1)!.data.length, 32);
  assert.equal(a.core.stats.keepalivesReceived, 1);
  net.advance(KEEPALIVE_TIMEOUT * 3);
  assert.equal(net.sentBy(b, MESSAGE_TRANSPORT).length, sentBefore + 1, "one per received data");
});

Deno.test("sent data without reply for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT starts a new handshake", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  net.drop = (d) => d.sender === b; // B goes silent
  const inits = net.sentBy(a, MESSAGE_INITIATION).length;
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 1)));
  net.advance(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT - 200);
  assert.equal(net.sentBy(a, MESSAGE_INITIATION).length, inits);
  net.advance(400);
  assert.equal(net.sentBy(a, MESSAGE_INITIATION).length, inits + 1);
});

Deno.test("persistent keepalive goes out every interval while idle", () => {
  const { net, a, b } = pair({ aPeer: { persistentKeepalive: 25 } });
  net.advance(100);
  assert.equal(a.core.stats.handshakesCompleted, 1, "keepalive at start brought the tunnel up");
  const t0 = net.now;
  const count = () => net.sentBy(a, MESSAGE_TRANSPORT).length;
  const base = count();
  net.advance(24_800);
  assert.equal(count(), base);
  net.advance(300);
  assert.equal(count(), base + 1);
  net.advance(25_000);
  assert.equal(count(), base + 2);
  assert.ok(b.core.stats.keepalivesReceived >= 3);
  assert.ok(net.now - t0 >= 50_000);
});

Deno.test("all keys are zeroed 3 x REJECT_AFTER_TIME after the last handshake", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  const kp = a.peer.keypairs.current!;
  const sendKey = kp.sendKey;
  net.now += 3 * REJECT_AFTER_TIME - 1;
  a.core.tick(net.now);
  assert.equal(a.peer.keypairs.current, kp);
  net.now += 2;
  a.core.tick(net.now);
  assert.equal(a.peer.keypairs.current, undefined);
  assert.ok(sendKey.every((x) => x === 0), "key bytes wiped");
  assert.equal(a.core.sender.peers[0].keypair, undefined, "the sender's copy is gone");
  assert.equal(a.core.receiver.keypairCount, 0, "the receiver's copies are gone");
  assert.equal(a.eventsOf("keys-expired").length, 1);
});

Deno.test("keys are rejected after REJECT_AFTER_TIME on both sending and receiving", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(40, 3)));
  const held = net.queue.splice(0);
  net.now += REJECT_AFTER_TIME;
  for (const d of held) b.core.handleDatagram(net.now, d.data, d.from);
  assert.equal(b.core.stats.dropExpiredKeypair, 1);
  const inits = net.sentBy(a, MESSAGE_INITIATION).length;
  const transports = net.sentBy(a, MESSAGE_TRANSPORT).length;
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(40, 4)));
  assert.equal(net.sentBy(a, MESSAGE_TRANSPORT).length, transports, "old keys not used");
  assert.equal(net.sentBy(a, MESSAGE_INITIATION).length, inits + 1, "new handshake instead");
  net.deliverAll();
  assert.equal(b.tunnel.length, 2, "queued packet delivered after the new handshake");
});

Deno.test("a replayed transport packet is dropped and counted", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(40, 3)));
  const [d] = net.queue.splice(0);
  b.core.handleDatagram(net.now, d.data, d.from);
  b.core.handleDatagram(net.now, d.data, d.from);
  assert.equal(b.tunnel.length, 2);
  assert.equal(b.core.stats.dropReplay, 1);
});

Deno.test("an initiation from a core with other keys is dropped", () => {
  const { net, a, b } = pair();
  const c = net.node("c", "203.0.113.9:1000");
  // C knows B's public key (valid mac1) but B does not know C.
  net.start(c, [{
    name: "b",
    publicKey: b.publicKey,
    endpoint: b.endpoint.clone(),
    allowedIps: ["10.0.0.0/24"],
  }]);
  net.sendFromTunnel(c, ipv4Packet("10.0.0.3", "10.0.0.1", pattern(10, 1)));
  net.deliverAll();
  assert.equal(b.core.stats.dropBadInitiation, 1);
  assert.equal(b.core.stats.responsesSent, 0);
  // D thinks B has another key: mac1 fails before any Diffie-Hellman.
  const d = net.node("d", "203.0.113.10:1000");
  net.start(d, [{
    name: "b",
    publicKey: a.publicKey,
    endpoint: b.endpoint.clone(),
    allowedIps: ["10.0.0.0/24"],
  }]);
  net.sendFromTunnel(d, ipv4Packet("10.0.0.4", "10.0.0.1", pattern(10, 1)));
  net.deliverAll();
  assert.equal(b.core.stats.dropBadMac1, 1);
  assert.equal(b.peer.endpoint, undefined, "unauthenticated packets never set an endpoint");
});

Deno.test("truncated, oversized and garbage datagrams are counted and never throw", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  const from = Endpoint.parse("203.0.113.5:999");
  const drops = () =>
    Object.entries(b.core.stats).filter(([k]) => k.startsWith("drop")).reduce(
      (s, [, v]) => s + v,
      0,
    );
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const sizes = [
    0,
    1,
    3,
    4,
    31,
    32,
    33,
    63,
    64,
    65,
    91,
    92,
    93,
    147,
    148,
    149,
    65535,
    65536,
    70000,
  ];
  let n = 0;
  const before = drops();
  for (let i = 0; i < 3000; i++) {
    const len = i < sizes.length ? sizes[i] : rnd(i % 10 === 0 ? 2000 : 200);
    const d = new Uint8Array(len);
    for (let k = 0; k < len; k++) d[k] = rnd(256);
    if (len >= 4 && rnd(2) === 0) {
      d[0] = 1 + rnd(4);
      d[1] = d[2] = d[3] = 0;
    }
    b.core.handleDatagram(net.now, d, from);
    n++;
  }
  assert.equal(drops() - before, n, "every garbage datagram counted as exactly one drop");
  // Bit flips of genuine messages: all must fail authentication somewhere, never throw.
  const genuine = net.log.map((d) => d.data);
  const start = drops();
  let flipped = 0;
  for (const g of genuine) {
    for (let i = 0; i < 40; i++) {
      const m = g.slice();
      m[4 + rnd(m.length - 4)] ^= 1 << rnd(8);
      b.core.handleDatagram(net.now, m, from);
      a.core.handleDatagram(net.now, m, from);
      flipped += 2;
    }
  }
  assert.ok(drops() > start, "mutated packets dropped");
  assert.equal(b.tunnel.length, 1, "nothing forged reached the tunnel");
  assert.equal(a.tunnel.length, 0);
  assert.notEqual(b.peer.endpoint?.toString(), from.toString(), "no roaming on forged packets");
  assert.ok(flipped > 0);
});

Deno.test("a flood of initiations triggers cookie replies; the initiator retries with mac2 and completes", () => {
  const { net, a, b } = pair({ b: { underLoadThreshold: 3 } });
  const c = net.node("c", "203.0.113.9:1000");
  net.start(c, [{
    name: "b",
    publicKey: b.publicKey,
    endpoint: b.endpoint.clone(),
    allowedIps: ["10.0.0.0/24"],
  }]);
  net.sendFromTunnel(c, ipv4Packet("10.0.0.3", "10.0.0.1", pattern(10, 1)));
  const floodMsg = net.queue.shift()!;
  const flood = () => {
    for (let i = 0; i < 10; i++) b.core.handleDatagram(net.now, floodMsg.data, floodMsg.from);
  };
  flood();
  net.queue = net.queue.filter((d) => !d.to.equals(c.endpoint));
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 2)));
  net.deliverAll();
  assert.equal(a.core.stats.cookieRepliesReceived, 1, "A got a cookie instead of a response");
  assert.equal(a.peer.lastHandshakeMs, undefined);
  // Threshold 3: the first 3 flood messages are processed, the other 7 and A's get cookies.
  assert.equal(b.core.stats.dropCookieRequired, 8);
  // Keep B under load until A's retransmission (which now carries mac2) goes through.
  for (let t = 0; t < 60 && a.peer.lastHandshakeMs === undefined; t++) {
    net.now += 100;
    flood();
    net.queue = net.queue.filter((d) => !d.to.equals(c.endpoint));
    a.core.tick(net.now);
    b.core.tick(net.now);
    net.deliverAll();
  }
  assert.ok(a.peer.lastHandshakeMs !== undefined, "handshake completed under load");
  assert.equal(b.tunnel.length, 1, "queued packet delivered");
  assert.ok(net.sentBy(b, MESSAGE_COOKIE_REPLY).length > 10);
});

Deno.test("a cookie reply is accepted only for the message it answers", () => {
  const { net, a, b } = pair({ b: { underLoadThreshold: 0 } });
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 2)));
  net.deliverAll();
  const reply = net.sentBy(b, MESSAGE_COOKIE_REPLY)[0];
  assert.ok(reply);
  a.core.handleDatagram(net.now, reply.data, reply.from);
  assert.equal(a.core.stats.dropBadCookieReply, 1, "replayed cookie reply rejected");
});

Deno.test("under load the rate limiter bounds handshakes processed per source", () => {
  const { net, a, b } = pair({ b: { underLoadThreshold: 0 } });
  // Under threshold 0 every handshake needs mac2: get A a cookie first.
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 2)));
  net.deliverAll();
  assert.equal(a.core.stats.cookieRepliesReceived, 1);
  net.advance(REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX + 100);
  assert.ok(a.peer.lastHandshakeMs !== undefined, "a retry with mac2 completes");
  const valid = net.sentBy(a, MESSAGE_INITIATION).at(-1)!;
  const processed = () => b.core.stats.initiationsReceived + b.core.stats.dropBadInitiation;
  const before = processed();
  const limitedBefore = b.core.stats.dropRateLimited;
  // 100 copies of the valid-mac2 initiation at once from the same source.
  for (let i = 0; i < 100; i++) b.core.handleDatagram(net.now, valid.data, valid.from);
  const burst = processed() - before;
  assert.ok(burst <= 5, `at most the burst is processed, got ${burst}`);
  assert.ok(b.core.stats.dropRateLimited - limitedBefore >= 95);
  // One second later the bucket has refilled by about 20.
  net.now += 1000;
  const mid = processed();
  for (let i = 0; i < 100; i++) b.core.handleDatagram(net.now, valid.data, valid.from);
  assert.ok(processed() - mid <= 5 && processed() - mid >= 1);
});

Deno.test("roaming: an authenticated packet from a new address moves the peer's endpoint", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  a.endpoint = Endpoint.parse("192.0.2.77:41000");
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 5)));
  net.deliverAll();
  assert.equal(b.peer.endpoint?.toString(), "192.0.2.77:41000");
  assert.equal(b.eventsOf("endpoint-changed").length, 2, "learned, then moved");
  const down = ipv4Packet("10.0.0.1", "10.0.0.2", pattern(10, 6));
  net.sendFromTunnel(b, down);
  assert.equal(net.queue[0].to.toString(), "192.0.2.77:41000");
  net.deliverAll();
  assert.deepEqual(a.tunnel.at(-1), down);
});

Deno.test("a decrypted packet whose source is outside the peer's allowed IPs is dropped", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  net.sendFromTunnel(a, ipv4Packet("10.0.0.99", "10.0.0.1", pattern(10, 5)));
  net.deliverAll();
  assert.equal(b.core.stats.dropDisallowedSource, 1);
  assert.equal(b.tunnel.length, 1);
});

Deno.test("a tunnel packet to an address no peer owns is dropped and counted", () => {
  const { net, a } = pair();
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "192.0.2.200", pattern(10, 5)));
  net.sendFromTunnel(a, new Uint8Array([0x45, 0, 0]));
  assert.equal(a.core.stats.tunnelDropNoPeer, 1);
  assert.equal(a.core.stats.tunnelDropBadPacket, 1);
  assert.equal(net.queue.length, 0);
});

Deno.test("a preshared key mismatch makes the handshake fail", () => {
  const { net, a, b } = pair({
    aPeer: { presharedKey: new Uint8Array(32).fill(1) },
    bPeer: { presharedKey: new Uint8Array(32).fill(2) },
  });
  net.sendFromTunnel(a, ipv4Packet("10.0.0.2", "10.0.0.1", pattern(10, 5)));
  net.deliverAll();
  assert.equal(b.core.stats.responsesSent, 1, "responder cannot tell; it answers");
  assert.equal(a.core.stats.dropBadResponse, 1);
  assert.equal(a.peer.lastHandshakeMs, undefined);
  assert.equal(b.tunnel.length, 0);
});

Deno.test("matching preshared keys complete the handshake", () => {
  const psk = new Uint8Array(32).fill(5);
  const { net, a, b } = pair({ aPeer: { presharedKey: psk }, bPeer: { presharedKey: psk } });
  connect(net, a, b);
});

Deno.test("control frames travel to the peer's control handler, padded to 16", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  const frame = Uint8Array.of(0x10, 1, 2, 3, 4, 5);
  a.core.sendControl(net.now, a.peer, frame);
  net.deliverAll();
  assert.equal(b.control.length, 1);
  assert.deepEqual(b.control[0].subarray(0, frame.length), frame);
  assert.equal(b.control[0].length, 16);
  assert.throws(() => a.core.sendControl(net.now, a.peer, Uint8Array.of(0x45)), /nibble 4 or 6/);
});

Deno.test("control frames go to a chosen endpoint, never stage, and do not roam the peer", () => {
  const { net, a, b } = pair();
  const frame = Uint8Array.of(0x11, 1, 0, 0);
  assert.equal(a.core.sendControl(net.now, a.peer, frame), false, "no keypair yet");
  assert.equal(a.core.stats.controlDropNoKeypair, 1);
  assert.equal(net.queue.length, 0, "nothing staged, nothing sent");
  connect(net, a, b);
  const before = b.peer.endpoint?.toString();
  // The frame leaves from another address (another link): it arrives, the endpoint stays.
  a.endpoint = Endpoint.parse("192.0.2.78:42000");
  assert.equal(a.core.sendControl(net.now, a.peer, frame), true);
  net.deliverAll();
  assert.equal(b.control.length, 1);
  assert.equal(b.peer.endpoint?.toString(), before);
  // b answers on the path the frame came from, not its current endpoint for a.
  const path = Endpoint.parse("192.0.2.78:42000");
  b.core.sendControl(net.now, b.peer, Uint8Array.of(0x12, 1, 0, 0), path);
  assert.equal(net.queue[0].to.toString(), "192.0.2.78:42000");
  net.deliverAll();
  assert.equal(a.control.length, 1);
});

Deno.test("configuration errors name the offending key", () => {
  assert.throws(
    () => pair({ aPeer: { allowedIps: ["10.0.0.0/99"] } }),
    /peers\[0\] \(b\)\.allowedIps.*10\.0\.0\.0\/99/,
  );
  assert.throws(
    () => pair({ aPeer: { presharedKey: new Uint8Array(3) } }),
    /presharedKey must be 32 bytes/,
  );
  assert.throws(() => pair({ a: { timers: { rekeyTimeout: -1 } } }), /timers\.rekeyTimeout/);
});

Deno.test("destroy wipes keypairs and the handshake state", () => {
  const { net, a, b } = pair();
  connect(net, a, b);
  const kp = a.peer.keypairs.current!;
  const senderKey = a.core.sender.peers[0].keypair!.key;
  a.core.destroy();
  assert.ok(kp.sendKey.every((x) => x === 0) && kp.receiveKey.every((x) => x === 0));
  assert.ok(senderKey.every((x) => x === 0), "the sender's copy is wiped");
  assert.equal(a.core.receiver.keypairCount, 0);
  assert.equal(a.peer.keypairs.current, undefined);
});
