import assert from "node:assert/strict";
import { PathSendLog } from "./path_send_log.ts";

Deno.test("send log finds cumulative packets, bytes and time up to a counter", () => {
  const log = new PathSendLog(1024);
  // This path carries every third counter, as a scheduler spreading over three paths would.
  for (let c = 0; c < 300; c += 3) log.record(c, 100 + c, 1000 + c);
  assert.equal(log.packets, 100);
  assert.ok(log.lookup(0));
  assert.deepEqual([log.foundPackets, log.foundBytes, log.foundTime], [1, 100, 1000]);
  assert.ok(log.lookup(30));
  // Packets 0, 3, ..., 30: 11 of them, bytes sum of 100 + c.
  let bytes = 0;
  for (let c = 0; c <= 30; c += 3) bytes += 100 + c;
  assert.deepEqual([log.foundPackets, log.foundBytes, log.foundTime], [11, bytes, 1030]);
  assert.ok(log.lookup(297));
  assert.equal(log.foundPackets, 100);
});

Deno.test("send log does not find counters this path never carried", () => {
  const log = new PathSendLog(1024);
  for (let c = 0; c < 300; c += 3) log.record(c, 100, c);
  assert.equal(log.lookup(31), false);
  assert.equal(log.lookup(1000), false);
  assert.equal(log.lookup(-1), false);
});

Deno.test("send log forgets entries beyond its capacity", () => {
  const log = new PathSendLog(200);
  for (let c = 0; c < 1000; c++) log.record(c, 1, c);
  assert.equal(log.lookup(500), false, "overwritten long ago");
  assert.equal(log.lookup(800), false, "oldest entries are left to the writer");
  assert.ok(log.lookup(999));
  assert.equal(log.foundPackets, 1000);
  assert.ok(log.lookup(900));
  assert.equal(log.foundPackets, 901);
});

Deno.test("send log reset starts a new counter space and keeps the totals", () => {
  const log = new PathSendLog(1024);
  for (let c = 0; c < 50; c++) log.record(c, 10, c);
  log.reset();
  for (let c = 0; c < 20; c++) log.record(c, 10, 100 + c);
  assert.ok(log.lookup(5));
  assert.equal(log.foundPackets, 56, "cumulative across the reset");
  assert.equal(log.foundTime, 105, "the packet of the new keypair, not the old one");
  assert.equal(log.lookup(40), false, "counters of the old keypair are gone");
  assert.equal(log.bytes, 700);
});

Deno.test("send log over shared memory is seen by a second view", () => {
  const sab = new SharedArrayBuffer(PathSendLog.bytesFor(256));
  const writer = new PathSendLog(256, sab);
  const reader = new PathSendLog(256, sab);
  for (let c = 10; c < 20; c++) writer.record(c, 1500, c * 2);
  assert.ok(reader.lookup(15));
  assert.deepEqual([reader.foundPackets, reader.foundBytes, reader.foundTime], [6, 9000, 30]);
  assert.throws(() => new PathSendLog(256, new SharedArrayBuffer(100)), /needs \d+ bytes/);
});

Deno.test("send log counts the packets that count for loss apart from all packets", () => {
  const log = new PathSendLog(1024);
  // Every other packet is a TCP split subflow's, which takes no part in the path's loss.
  for (let c = 0; c < 100; c++) log.record(c, 10, c, c, c % 2 === 0);
  assert.ok(log.lookup(9));
  assert.deepEqual([log.foundPackets, log.foundCounted, log.foundBytes], [10, 5, 100]);
  assert.ok(log.lookup(99));
  assert.deepEqual([log.foundPackets, log.foundCounted], [100, 50]);
});
