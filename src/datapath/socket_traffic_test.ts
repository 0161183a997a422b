import assert from "node:assert/strict";
import { SocketTraffic } from "./socket_traffic.ts";

Deno.test("socket traffic: each socket's sent and received counts are its own, shared", () => {
  const main = SocketTraffic.create(3);
  const worker = SocketTraffic.attach(main.buffer, 3);
  worker.sent(1, 1500, 1);
  worker.sent(1, 3000, 2);
  worker.received(2, 100, 1);
  assert.deepEqual(main.read(1), {
    sentBytes: 4500,
    sentDatagrams: 3,
    receivedBytes: 0,
    receivedDatagrams: 0,
  });
  assert.deepEqual(main.read(2), {
    sentBytes: 0,
    sentDatagrams: 0,
    receivedBytes: 100,
    receivedDatagrams: 1,
  });
  assert.equal(main.read(0).sentBytes, 0);
  assert.throws(() => SocketTraffic.attach(new SharedArrayBuffer(8), 3), /too small/);
});
