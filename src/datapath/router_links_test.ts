import assert from "node:assert/strict";
import type { LinkHello } from "../bonding/control_frame_types.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import {
  HELLO_INTERVAL_MS,
  HELLO_RETRY_MS,
  type HelloPeer,
  HELLOS_BEFORE_STOCK,
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
