import assert from "node:assert/strict";
import { EventFd } from "./eventfd.ts";
import { PollSet } from "./poll.ts";
import { UdpSocket } from "./udp.ts";
import { Endpoint } from "../src/protocol/endpoint.ts";
import { POLLIN } from "./constants.ts";

Deno.test("poll times out with mask 0 when nothing is ready", () => {
  const ev = EventFd.create();
  try {
    const set = new PollSet([ev.fd]);
    const t0 = performance.now();
    assert.equal(set.wait(30), 0);
    assert.ok(performance.now() - t0 >= 25, "it actually waited");
  } finally {
    ev.close();
  }
});

Deno.test("signalled eventfd makes poll report its bit; drain returns the count and clears", () => {
  const ev = EventFd.create();
  const sock = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  try {
    const set = new PollSet([sock.fd, ev.fd]);
    assert.equal(ev.signal(), 0);
    assert.equal(ev.signal(), 0);
    assert.equal(set.wait(1000), 0b10);
    assert.equal(set.revents(1) & POLLIN, POLLIN);
    assert.equal(ev.drain(), 2);
    assert.equal(ev.drain(), 0, "nothing pending after a drain");
    assert.equal(set.wait(0), 0);
    // A datagram on the socket sets bit 0.
    const peer = UdpSocket.open({ family: 4, address: "127.0.0.1" });
    peer.sendTo(new Uint8Array(4), 4, sock.localEndpoint());
    peer.close();
    assert.equal(set.wait(1000), 0b01);
    assert.equal(sock.recvFrom(new Uint8Array(8), new Endpoint()), 4);
  } finally {
    ev.close();
    sock.close();
  }
});

Deno.test("an eventfd signalled from another thread wakes a poll blocked in a Worker", async () => {
  const ev = EventFd.create();
  const code = `
    import { PollSet } from "${new URL("./poll.ts", import.meta.url)}";
    import { EventFd } from "${new URL("./eventfd.ts", import.meta.url)}";
    self.onmessage = (e) => {
      const set = new PollSet([e.data]);
      self.postMessage("polling");
      const t0 = performance.now();
      const mask = set.wait(5000);
      const drained = EventFd.fromFd(e.data).drain();
      self.postMessage({ mask, drained, waited: performance.now() - t0 });
    };`;
  const url = `data:application/typescript,${encodeURIComponent(code)}`;
  const worker = new Worker(url, { type: "module" });
  try {
    const result = await new Promise<{ mask: number; drained: number; waited: number }>(
      (resolve, reject) => {
        worker.onerror = (e) => reject(e.error ?? new Error(e.message));
        worker.onmessage = (e) => {
          if (e.data === "polling") setTimeout(() => ev.signal(), 50);
          else resolve(e.data);
        };
        worker.postMessage(ev.fd);
      },
    );
    assert.equal(result.mask, 1);
    assert.equal(result.drained, 1);
    assert.ok(result.waited >= 20 && result.waited < 4000, `waited ${result.waited} ms`);
  } finally {
    worker.terminate();
    ev.close();
  }
});

Deno.test("poll set size is bounded", () => {
  assert.throws(() => new PollSet([]), /1-31 fds: 0/);
});

Deno.test("waitPrecise honours a fractional timeout and reports a ready descriptor", () => {
  const ev = EventFd.create();
  try {
    const set = new PollSet([ev.fd]);
    const t0 = performance.now();
    assert.equal(set.waitPrecise(2.5), 0);
    const waited = performance.now() - t0;
    // ppoll sleeps at least the timespec; whole-millisecond poll(2) would have slept 2 or 3 ms.
    assert.ok(waited >= 2.4, `it waited ${waited.toFixed(3)} ms`);
    ev.signal();
    assert.equal(set.waitPrecise(Infinity), 0b1);
    assert.equal(set.waitPrecise(0), 0b1, "still ready until drained");
    ev.drain();
    assert.equal(set.waitPrecise(0), 0);
  } finally {
    ev.close();
  }
});
