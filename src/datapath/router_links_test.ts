import assert from "node:assert/strict";
import type { LinkHello } from "../bonding/control_frame_types.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import {
  HELLO_INTERVAL_MS,
  HELLO_RETRY_MS,
  type HelloPeer,
  HELLOS_BEFORE_STOCK,
  linkRoute,
  RouterLinks,
} from "./router_links.ts";

const VPS = Endpoint.parse("198.51.100.1:65535");

function setup() {
  const sent: { socket: number; hello: LinkHello }[] = [];
  const links = new RouterLinks(
    [
      { name: "wan1", socket: { 4: 0 }, downKbps: 40_000 },
      { name: "wan2", socket: { 4: 1 }, downKbps: 0 },
      { name: "wan3-v6", socket: { 6: 2 }, downKbps: 0 },
    ],
    0xdeadbeef,
    (_peer, socket, _to, hello) => {
      sent.push({ socket, hello });
      return true;
    },
  );
  const peer: HelloPeer = { index: 0, endpoint: VPS, handshakeAt: 1000 };
  return { sent, links, peer };
}

Deno.test("router links: no hello before a session; then only on the first link until acked", () => {
  const { sent, links, peer } = setup();
  links.tick(0, [{ ...peer, handshakeAt: undefined }]);
  assert.equal(sent.length, 0);
  links.tick(1000, [peer]);
  links.tick(1000 + HELLO_RETRY_MS / 2, [peer]);
  assert.deepEqual(sent.map((s) => s.socket), [0], "one hello, on link 0's socket");
  assert.equal(sent[0].hello.epoch, 0xdeadbeef);
  assert.equal(sent[0].hello.downKbps, 40_000, "the seed for the peer's scheduler");
  links.tick(1000 + HELLO_RETRY_MS, [peer]);
  assert.equal(sent.length, 2);
});

Deno.test("router links: a peer that never answers is stock until its next handshake", () => {
  const { sent, links, peer } = setup();
  for (let t = 0; t < 20; t++) links.tick(1000 + t * HELLO_RETRY_MS, [peer]);
  assert.equal(sent.length, HELLOS_BEFORE_STOCK);
  assert.ok(links.stock(0));
  assert.ok(sent.every((s) => s.socket === 0), "a stock peer only ever sees link 0");
  links.tick(200_000, [{ ...peer, handshakeAt: 150_000 }]);
  assert.equal(sent.length, HELLOS_BEFORE_STOCK + 1, "a new session gets new chances");
  assert.equal(links.stock(0), false);
});

Deno.test("router links: an ack makes every link say hello, at the interval", () => {
  const { sent, links, peer } = setup();
  links.tick(1000, [peer]);
  const observed = Endpoint.parse("203.0.113.5:40000");
  assert.equal(
    links.onAck(1010, 0, { type: "link-hello-ack", epoch: 1, linkId: 0, observed }),
    false,
    "another run's epoch",
  );
  assert.ok(
    links.onAck(1010, 0, { type: "link-hello-ack", epoch: 0xdeadbeef, linkId: 0, observed }),
  );
  assert.ok(links.bonding(0));
  assert.equal(links.linkStates(0)[0].observed, "203.0.113.5:40000");
  links.tick(1020, [peer]);
  // The IPv6-only link has no socket for an IPv4 peer.
  assert.deepEqual(sent.slice(1).map((s) => [s.socket, s.hello.linkId]), [[0, 0], [1, 1]]);
  links.tick(1020 + HELLO_INTERVAL_MS - 1, [peer]);
  assert.equal(sent.length, 3);
  links.tick(1020 + HELLO_INTERVAL_MS, [peer]);
  assert.equal(sent.length, 5);
  assert.equal(
    links.onAck(1, 0, { type: "link-hello-ack", epoch: 0xdeadbeef, linkId: 9, observed }),
    false,
  );
});

Deno.test("router links: a link added at run time says hello with its id; a removed one stops", () => {
  const { sent, links, peer } = setup();
  links.tick(1000, [peer]);
  const observed = Endpoint.parse("203.0.113.5:40000");
  links.onAck(1010, 0, { type: "link-hello-ack", epoch: 0xdeadbeef, linkId: 0, observed });
  links.removeLink(1);
  links.setLink(5, { name: "wan4", socket: { 4: 7 }, downKbps: 0 });
  assert.deepEqual(links.order, [0, 2, 5]);
  sent.length = 0;
  links.tick(1020, [peer]);
  assert.deepEqual(sent.map((s) => [s.socket, s.hello.linkId, s.hello.name]), [
    [0, 0, "wan1"],
    [7, 5, "wan4"],
  ]);
  assert.equal(links.linkStates(0)[5].hellosSent, 1);
  assert.equal(
    links.onAck(1030, 0, { type: "link-hello-ack", epoch: 0xdeadbeef, linkId: 1, observed }),
    false,
    "acks of a removed link are stale",
  );
  assert.ok(
    links.onAck(1030, 0, { type: "link-hello-ack", epoch: 0xdeadbeef, linkId: 5, observed }),
  );
});

Deno.test("router links: removing the first link moves a new peer's hellos to the next", () => {
  const { sent, links, peer } = setup();
  links.removeLink(0);
  links.tick(1000, [peer]);
  assert.deepEqual(sent.map((s) => s.socket), [1]);
});

Deno.test("router links: a link without the endpoint's family reaches the peer's alternate", () => {
  const v6 = Endpoint.parse("[2001:db8::1]:65535");
  assert.deepEqual(
    linkRoute({ name: "dsl", socket: { 4: 0 }, downKbps: 0 }, VPS, v6),
    { socket: 0, to: VPS, alternate: false },
  );
  assert.deepEqual(
    linkRoute({ name: "lte", socket: { 6: 3 }, downKbps: 0 }, VPS, v6),
    { socket: 3, to: v6, alternate: true },
  );
  assert.equal(
    linkRoute({ name: "lte", socket: { 6: 3 }, downKbps: 0 }, VPS, undefined),
    undefined,
  );
  // Hellos take the same way.
  const sent: [number, string][] = [];
  const links = new RouterLinks(
    [{ name: "dsl", socket: { 4: 0 }, downKbps: 0 }, {
      name: "lte",
      socket: { 6: 3 },
      downKbps: 0,
    }],
    1,
    (_peer, socket, to) => {
      sent.push([socket, to.toString()]);
      return true;
    },
  );
  const peer: HelloPeer = { index: 0, endpoint: VPS, alternate: v6, handshakeAt: 1 };
  links.tick(1, [peer]);
  links.onAck(2, 0, { type: "link-hello-ack", epoch: 1, linkId: 0, observed: VPS });
  links.tick(3, [peer]);
  assert.deepEqual(sent, [
    [0, VPS.toString()],
    [0, VPS.toString()],
    [3, v6.toString()],
  ]);
});
