import assert from "node:assert/strict";
import { NobleAead } from "../crypto/noble_aead.ts";
import { Endpoint } from "./endpoint.ts";
import { activityViews, createActivityBuffer } from "./peer_activity.ts";
import { DEFAULT_TIMERS } from "./timers.ts";
import { TransportSender } from "./transport_sender.ts";
import { ipv4Packet, pattern } from "./test_network.ts";

function sender(mtu?: number) {
  const sent: Uint8Array[] = [];
  const requests: number[] = [];
  const s = new TransportSender(
    {
      peers: [{ allowedIps: ["10.0.0.0/24"] }],
      activity: activityViews(createActivityBuffer(1, false), 1),
      aead: new NobleAead(),
      timers: DEFAULT_TIMERS,
      stagedQueueSize: 8,
      mtu,
    },
    { handshakeNeeded: (_now, peer) => requests.push(peer) },
    { sendToNetwork: (_peer, _to, d) => sent.push(d.slice()) },
  );
  s.setEndpoint(0, 0, Endpoint.parse("192.0.2.1:51820"));
  s.setKeypair(0, 0, {
    localIndex: 1,
    remoteIndex: 2,
    key: new Uint8Array(32).fill(7),
    created: 0,
    isInitiator: true,
  });
  return { s, sent, requests };
}

function send(s: TransportSender, size: number): void {
  const packet = ipv4Packet("10.0.0.2", "10.0.0.1", pattern(size - 20, size));
  const buf = new Uint8Array(16 + packet.length + 31);
  buf.set(packet, 16);
  s.handleTunnelPacket(1, buf, 16, packet.length);
}

Deno.test("padding rounds to 16 but never takes a packet past the tunnel MTU", () => {
  const { s, sent } = sender(1420);
  for (const size of [1400, 1419, 1420, 100]) send(s, size);
  // Header 16 + padded payload + tag 16.
  assert.deepEqual(sent.map((d) => d.length - 32), [1408, 1420, 1420, 112]);
});

Deno.test("without an MTU padding rounds every packet up to a multiple of 16", () => {
  const { s, sent } = sender();
  send(s, 1420);
  assert.equal(sent[0].length - 32, 1424);
});

Deno.test("padding bytes are zeros whatever the buffer held behind the packet", () => {
  const { s, sent } = sender(1420);
  const packet = ipv4Packet("10.0.0.2", "10.0.0.1", pattern(1379, 1399));
  const buf = new Uint8Array(16 + packet.length + 31).fill(0xaa);
  buf.set(packet, 16);
  s.handleTunnelPacket(1, buf, 16, packet.length);
  const d = sent[0];
  const plain = new Uint8Array(d.length - 32);
  assert.ok(new NobleAead().open(new Uint8Array(32).fill(7), 0, d.subarray(16), plain));
  assert.deepEqual(plain.subarray(0, packet.length), packet);
  // 1399 bytes padded to 1408.
  assert.deepEqual([...plain.subarray(packet.length)], new Array(9).fill(0));
});

Deno.test("packets without a keypair wait, ask for a handshake at most every 100 ms, and go once keyed", () => {
  const { s, sent, requests } = sender(1420);
  s.setKeypair(0, 0, undefined);
  send(s, 200);
  send(s, 300);
  assert.equal(sent.length, 0);
  assert.deepEqual(requests, [0], "one request for both packets sent at the same time");
  s.setKeypair(2, 0, {
    localIndex: 3,
    remoteIndex: 4,
    key: new Uint8Array(32).fill(9),
    created: 2,
    isInitiator: true,
  });
  s.flush(2, 0);
  assert.equal(sent.length, 2, "staged packets sent in order once a keypair arrived");
  assert.equal(s.peers[0].staged.size, 0);
});
