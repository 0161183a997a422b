import assert from "node:assert/strict";
import { PathReceiveCounts } from "./path_receive_counts.ts";

Deno.test("receive counts report cumulative packets, bytes and the highest counter per path", () => {
  const counts = new PathReceiveCounts(3);
  counts.count(10, 0, 5, 100);
  counts.count(11, 0, 3, 100); // reordered: the highest stays 5, seen at 10
  counts.count(12, 2, 4, 1400);
  counts.count(13, 7, 9, 1400); // no such path: ignored
  const report = counts.report(20, [11, 12, 13]);
  assert.deepEqual(report, {
    type: "receive-report",
    reportTime: 20,
    entries: [
      { pathId: 11, packets: 2, bytes: 200, highestCounter: 5, highestAt: 10 },
      { pathId: 13, packets: 1, bytes: 1400, highestCounter: 4, highestAt: 12 },
    ],
  });
});

Deno.test("a new keypair restarts the highest counters and keeps the totals", () => {
  const counts = new PathReceiveCounts(1);
  counts.count(1, 0, 1000, 10);
  counts.newKeypair();
  assert.equal(counts.highest(0), -1);
  assert.deepEqual(counts.report(2, [0]).entries, [], "nothing under the new keypair yet");
  counts.count(3, 0, 0, 10);
  assert.deepEqual(counts.report(4, [0]).entries, [
    { pathId: 0, packets: 2, bytes: 20, highestCounter: 0, highestAt: 3 },
  ]);
});

Deno.test("receive counts over shared memory start empty and are seen by a second view", () => {
  const sab = new SharedArrayBuffer(PathReceiveCounts.bytesFor(2));
  const rx = new PathReceiveCounts(2, sab);
  const main = new PathReceiveCounts(2, sab);
  assert.equal(main.highest(1), -1);
  rx.count(5, 1, 42, 1400);
  assert.equal(main.highest(1), 42);
  assert.equal(main.report(6, [0, 1]).entries.length, 1);
});

Deno.test("an uncounted packet adds bytes and moves the highest counter, but not the packets", () => {
  const counts = new PathReceiveCounts(1);
  counts.count(1, 0, 1, 100);
  counts.count(2, 0, 2, 1000, false);
  assert.deepEqual(counts.report(3, [0]).entries, [
    { pathId: 0, packets: 1, bytes: 1100, highestCounter: 2, highestAt: 2 },
  ]);
});
