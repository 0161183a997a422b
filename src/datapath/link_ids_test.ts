import assert from "node:assert/strict";
import { LinkIds } from "./link_ids.ts";
import { SocketSlots } from "./socket_slots.ts";
import { SOCKET_SLOTS } from "./messages.ts";

Deno.test("link ids: start in order; a new link gets an id never used in this run", () => {
  const ids = new LinkIds(4, ["wan1", "wan2"]);
  assert.equal(ids.of("wan1"), 0);
  assert.equal(ids.of("wan2"), 1);
  assert.equal(ids.release("wan1"), 0);
  assert.equal(ids.assign("wan3"), 2, "not 0: the peer may still remember wan1 as path 0");
  assert.equal(ids.assign("wan1"), 3, "a link re-added under its old name is new too");
  ids.release("wan2");
  assert.equal(ids.assign("wan4"), 0, "every id used once: the lowest free one");
  assert.equal(ids.assign("wan5"), 1);
  assert.throws(() => ids.assign("wan6"), /at most 4 links/);
  assert.throws(() => ids.assign("wan3"), /already has an id/);
  assert.equal(ids.release("nope"), undefined);
});

Deno.test("socket slots: initial sockets first, then the lowest free slot; full is an error", () => {
  const slots = new SocketSlots([{ fd: 10, family: 4 }, { fd: 11, family: 6 }]);
  assert.equal(slots.family(1), 6);
  assert.equal(slots.take({ fd: 12, family: 4 }), 2);
  slots.free(0);
  assert.equal(slots.get(0), undefined);
  assert.equal(slots.take({ fd: 13, family: 4 }), 0);
  assert.equal(slots.available, SOCKET_SLOTS - 3);
  while (slots.available > 0) slots.take({ fd: 99, family: 4 });
  assert.throws(() => slots.take({ fd: 100, family: 4 }), /socket slots are in use/);
  assert.throws(
    () => new SocketSlots(Array.from({ length: SOCKET_SLOTS + 1 }, () => ({ fd: 1, family: 4 }))),
    /holds 18/,
  );
});
