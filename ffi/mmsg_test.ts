import assert from "node:assert/strict";
import { Endpoint } from "../src/protocol/endpoint.ts";
import { MSG_DONTWAIT } from "./constants.ts";
import { EAGAIN } from "./errno.ts";
import { MmsgBatch } from "./mmsg.ts";
import { UdpSocket } from "./udp.ts";

/** Send `count` numbered datagrams with sendmmsg and take them back with recvmmsg. */
function roundTrip(family: 4 | 6, loopback: string): void {
  const rx = UdpSocket.open({ family, address: loopback });
  const tx = UdpSocket.open({ family, address: loopback });
  const headroom = 16;
  const out = new MmsgBatch({ slots: 8, slotSize: 256, headroom, v6Socket: family === 6 });
  const inn = new MmsgBatch({ slots: 8, slotSize: 256, headroom, v6Socket: family === 6 });
  try {
    const dst = rx.localEndpoint();
    const count = 5;
    for (let i = 0; i < count; i++) {
      // The "header" goes into the headroom, the payload after it, as the data path does.
      out.buffers[i].fill(0xee, 0, headroom);
      out.payloads[i].fill(i + 1, 0, 100 + i);
      out.setSend(i, 0, headroom + 100 + i, dst);
    }
    assert.equal(out.send(tx.fd, count), count);
    assert.equal(out.sendErrors, 0);

    let got = 0;
    for (let tries = 0; got < count && tries < 10; tries++) {
      const n = inn.recv(rx.fd);
      assert.ok(n > 0, `recvmmsg returned ${n}`);
      for (let i = 0; i < n; i++, got++) {
        assert.equal(inn.lengths[i], headroom + 100 + got);
        const data = inn.payloads[i];
        assert.deepEqual(Array.from(data.subarray(0, headroom)), new Array(headroom).fill(0xee));
        assert.equal(data[headroom], got + 1);
        assert.equal(data[headroom + 99 + got], got + 1);
        assert.equal(inn.endpoints[i].toString(), tx.localEndpoint().toString());
        assert.equal(inn.isTruncated(i), false);
      }
    }
    assert.equal(got, count);
    assert.equal(inn.recv(rx.fd, MSG_DONTWAIT), -EAGAIN, "queue empty afterwards");
  } finally {
    rx.close();
    tx.close();
  }
}

Deno.test("sendmmsg/recvmmsg round trip over IPv4 loopback keeps payloads, lengths, sources", () => {
  roundTrip(4, "127.0.0.1");
});

Deno.test("sendmmsg/recvmmsg round trip over IPv6 loopback ::1", () => {
  roundTrip(6, "::1");
});

Deno.test("recvmmsg flags and counts a datagram longer than the slot", () => {
  const rx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const tx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const batch = new MmsgBatch({ slots: 2, slotSize: 64, headroom: 32 });
  try {
    assert.equal(tx.sendTo(new Uint8Array(100), 100, rx.localEndpoint()), 100);
    assert.equal(batch.recv(rx.fd), 1);
    assert.equal(batch.isTruncated(0), true);
    assert.equal(batch.truncated, 1);
    assert.equal(batch.lengths[0], 32, "only the payload area was filled");
  } finally {
    rx.close();
    tx.close();
  }
});

Deno.test("sendmmsg skips and counts a datagram the kernel refuses, sends the rest", () => {
  const rx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const tx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const batch = new MmsgBatch({ slots: 3, slotSize: 64 });
  try {
    const good = rx.localEndpoint();
    batch.setSend(0, 0, 10, good);
    batch.setSend(1, 0, 10, Endpoint.parse("[::1]:9")); // IPv6 on an IPv4 socket: refused
    batch.setSend(2, 0, 10, good);
    assert.equal(batch.send(tx.fd, 3), 2);
    assert.equal(batch.sendErrors, 1);
    assert.ok(batch.lastSendErrno > 0);
    assert.equal(batch.recv(rx.fd), 2);
  } finally {
    rx.close();
    tx.close();
  }
});

Deno.test("mmsg batch rejects bad geometry and out-of-slot sends", () => {
  assert.throws(() => new MmsgBatch({ slots: 0 }), /slots must be 1-1024 .*: 0/);
  assert.throws(() => new MmsgBatch({ slotSize: 64, headroom: 64 }), /headroom must be 0-63/);
  const b = new MmsgBatch({ slots: 1, slotSize: 64 });
  assert.throws(() => b.setSend(0, 10, 60, new Endpoint()), /bytes 10\+60 outside 0-64/);
});
