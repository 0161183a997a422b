import assert from "node:assert/strict";
import { PATH_DEGRADED, PATH_DOWN, PATH_UP } from "../bonding/path_health.ts";
import { BondedSender, createBondedPeerMemory } from "./bonded_sender.ts";

function sender(): BondedSender {
  const s = new BondedSender("aggregate", createBondedPeerMemory());
  for (let p = 0; p < s.table.capacity; p++) s.table.set(p, { weight: 1, id: p });
  // Paths 1, 3 and 4 exist (links 0, 2 removed), all up at 10 Mbit/s.
  for (const p of [1, 3, 4]) {
    s.setPath(p, p, null);
    s.table.set(p, { state: PATH_UP, rate: 1.25e6, owd: 10 });
  }
  return s;
}

Deno.test("bonded sender: TCP split subflow j rides the j-th existing path", () => {
  const s = sender();
  assert.deepEqual([0, 1, 2, 3].map((j) => s.splitMask(j)), [1 << 1, 1 << 3, 1 << 4, 1 << 1]);
});

Deno.test("bonded sender: a subflow whose path is down gets no pin (the scheduler takes it)", () => {
  const s = sender();
  s.table.set(3, { state: PATH_DOWN });
  assert.equal(s.splitMask(1), 0);
  assert.equal(s.splitMask(0), 1 << 1);
});

Deno.test("bonded sender: a degraded path keeps its subflow", () => {
  const s = sender();
  s.table.set(3, { state: PATH_DEGRADED });
  assert.equal(s.splitMask(1), 1 << 3);
});

Deno.test("bonded sender: outside aggregate mode subflows are scheduled by the mode", () => {
  const s = sender();
  s.setMode("redundant");
  assert.equal(s.splitMask(0), 0);
  s.setMode("aggregate");
  assert.equal(s.splitMask(0), 1 << 1);
});
