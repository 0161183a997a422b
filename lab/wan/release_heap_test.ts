import assert from "node:assert/strict";
import { ReleaseHeap } from "./release_heap.ts";
import { seededRandom } from "./seeded_random.ts";

Deno.test("release heap pops in time order, ties in push order, like a naive sorted list", () => {
  const random = seededRandom(7);
  const capacity = 64;
  const heap = new ReleaseHeap(capacity);
  // The naive reference: an array kept sorted by (time, push order).
  const reference: { slot: number; time: number; order: number }[] = [];
  const free = Array.from({ length: capacity }, (_, i) => i);
  let order = 0;
  for (let step = 0; step < 20_000; step++) {
    if (free.length > 0 && (reference.length === 0 || random() < 0.55)) {
      const slot = free.pop()!;
      // Few distinct times, so ties are common.
      const time = Math.floor(random() * 16);
      assert.ok(heap.push(slot, time));
      reference.push({ slot, time, order: order++ });
      reference.sort((a, b) => a.time - b.time || a.order - b.order);
    } else {
      assert.equal(heap.peekTime(), reference[0].time);
      const slot = heap.pop();
      const expected = reference.shift()!;
      assert.equal(slot, expected.slot, `step ${step}`);
      free.push(slot);
    }
    assert.equal(heap.size, reference.length);
  }
});

Deno.test("release heap reports empty and full", () => {
  const heap = new ReleaseHeap(2);
  assert.equal(heap.peekTime(), Infinity);
  assert.equal(heap.pop(), -1);
  assert.ok(heap.push(0, 5));
  assert.ok(heap.push(1, 3));
  assert.equal(heap.push(1, 1), false, "a full heap refuses");
  assert.equal(heap.pop(), 1);
  assert.equal(heap.pop(), 0);
  assert.equal(heap.size, 0);
});

Deno.test("release heap refuses a capacity that is not a positive integer", () => {
  assert.throws(() => new ReleaseHeap(0), /positive integer: 0/);
  assert.throws(() => new ReleaseHeap(1.5), /positive integer: 1.5/);
});
