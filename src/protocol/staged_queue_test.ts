import assert from "node:assert/strict";
import { StagedQueue } from "./staged_queue.ts";

Deno.test("staged queue keeps order, copies packets and drops the oldest when full", () => {
  const q = new StagedQueue(3);
  const p = Uint8Array.of(1);
  q.push(p);
  p[0] = 9;
  assert.equal(q.push(Uint8Array.of(2)), false);
  assert.equal(q.push(Uint8Array.of(3)), false);
  assert.equal(q.push(Uint8Array.of(4)), true, "overflow reported");
  assert.deepEqual([q.shift()![0], q.shift()![0], q.shift()![0]], [2, 3, 4]);
  assert.equal(q.shift(), undefined);
  q.push(Uint8Array.of(5));
  assert.equal(q.clear(), 1);
  assert.equal(q.size, 0);
});
