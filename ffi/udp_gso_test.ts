import assert from "node:assert/strict";
import { MSG_DONTWAIT, SOL_UDP, UDP_GRO } from "./constants.ts";
import { MmsgBatch } from "./mmsg.ts";
import { UdpSocket } from "./udp.ts";
import { GsoSendBatch } from "./udp_gso.ts";

/** 12 datagrams for one destination: 10 of 1000 bytes, one of 400, then one of 1000 again. */
const SIZES = [...new Array(10).fill(1000), 400, 1000];

function fill(out: MmsgBatch, dst: ReturnType<UdpSocket["localEndpoint"]>, gso: GsoSendBatch) {
  SIZES.forEach((size, i) => {
    out.buffers[i].fill(i + 1, 0, size);
    out.setSend(i, 0, size, dst);
    assert.ok(gso.add(out.sendAddress(i), size, dst));
  });
}

Deno.test("UDP GSO sends runs of equal datagrams as one message each and they arrive whole", () => {
  const rx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const tx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const out = new MmsgBatch({ slots: 16, slotSize: 2048 });
  const gso = new GsoSendBatch({ messages: 4 });
  const inn = new MmsgBatch({ slots: 16, slotSize: 2048 });
  try {
    fill(out, rx.localEndpoint(), gso);
    // 10 × 1000 + the shorter 400 close the first message; the last 1000 starts another.
    assert.equal(gso.size, 2);
    assert.equal(gso.datagrams, SIZES.length);
    assert.equal(gso.firstDatagramOf(1), 11);
    assert.equal(gso.send(tx.fd), 0);
    assert.equal(gso.stoppedAt, 2);
    const got: number[] = [];
    for (let tries = 0; got.length < SIZES.length && tries < 20; tries++) {
      const n = inn.recv(rx.fd, MSG_DONTWAIT);
      for (let i = 0; i < n; i++) {
        assert.equal(inn.lengths[i], SIZES[got.length], `datagram ${got.length} size`);
        assert.ok(inn.payloads[i].subarray(0, inn.lengths[i]).every((b) => b === got.length + 1));
        got.push(inn.lengths[i]);
      }
    }
    assert.deepEqual(got, SIZES, "every datagram arrived separately, in order");
  } finally {
    rx.close();
    tx.close();
  }
});

Deno.test("with UDP_GRO the receiver gets the run coalesced and the segment size to cut it", () => {
  const rx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  rx.setIntOption(SOL_UDP, UDP_GRO, 1, "UDP_GRO");
  const tx = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const out = new MmsgBatch({ slots: 16, slotSize: 2048 });
  const gso = new GsoSendBatch({ messages: 4 });
  const inn = new MmsgBatch({ slots: 4, slotSize: 65536, segmentSizes: true });
  try {
    fill(out, rx.localEndpoint(), gso);
    assert.equal(gso.send(tx.fd), 0);
    const sizes: number[] = [];
    let seen = 0;
    for (let tries = 0; seen < SIZES.length && tries < 20; tries++) {
      const n = inn.recv(rx.fd, MSG_DONTWAIT);
      for (let i = 0; i < n; i++) {
        const seg = inn.segmentSizes[i] || inn.lengths[i];
        for (let at = 0; at < inn.lengths[i]; at += seg) {
          const size = Math.min(seg, inn.lengths[i] - at);
          assert.equal(inn.payloads[i][at], seen + 1, `datagram ${seen} content`);
          sizes.push(size);
          seen++;
        }
      }
    }
    assert.deepEqual(sizes, SIZES);
  } finally {
    rx.close();
    tx.close();
  }
});

Deno.test("a GSO batch refuses a datagram when every message is in use", () => {
  const gso = new GsoSendBatch({ messages: 1 });
  const a = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  try {
    const dst = a.localEndpoint();
    const other = dst.clone();
    other.port = dst.port === 65535 ? 1 : dst.port + 1;
    assert.ok(gso.add(4096, 100, dst));
    assert.ok(gso.add(8192, 100, dst), "same size, same place: appended");
    assert.equal(gso.add(12288, 100, other), false, "another destination needs a message");
    assert.equal(gso.add(12288, 200, dst), false, "a longer datagram needs a message");
    gso.clear();
    assert.equal(gso.size, 0);
  } finally {
    a.close();
  }
});
