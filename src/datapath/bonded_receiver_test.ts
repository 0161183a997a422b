import assert from "node:assert/strict";
import { Endpoint } from "../protocol/endpoint.ts";
import {
  BondedReceiver,
  createBondedReceiveMemory,
  DATA_ACTIVE_MS,
  reorderSettings,
} from "./bonded_receiver.ts";

function setup() {
  const out: number[] = [];
  const memory = createBondedReceiveMemory();
  const rx = new BondedReceiver(memory, 64, (buf, offset) => out.push(buf[offset]));
  return { out, rx, settings: reorderSettings(memory) };
}

/** Pushes a packet the way the RX loop does: prepare, then push (data carries its counter). */
function arrive(rx: BondedReceiver, now: number, counter: number, path: number, data: boolean) {
  rx.prepare(now, path, data);
  rx.reorder.push(now, counter, path, Uint8Array.of(counter), 0, data ? 1 : 0);
}

Deno.test("bonded receiver: a datagram's path by socket (router) or by source (VPS)", () => {
  const { rx } = setup();
  rx.setPath(0, 0, null);
  rx.setPath(1, 1, null);
  rx.setPath(2, 5, "203.0.113.2:40000");
  rx.setPath(3, 5, "203.0.113.3:40000");
  assert.equal(rx.pathOf(1, Endpoint.parse("198.51.100.1:65535")), 1);
  assert.equal(rx.pathOf(5, Endpoint.parse("203.0.113.3:40000")), 3);
  assert.equal(rx.pathOf(5, Endpoint.parse("203.0.113.9:40000")), -1, "unknown source");
  assert.equal(rx.pathOf(7, Endpoint.parse("203.0.113.2:40000")), -1, "unknown socket");
  rx.setPath(1, -1, null);
  assert.equal(rx.pathOf(1, Endpoint.parse("198.51.100.1:65535")), -1, "path gone");
  rx.setPath(99, 0, null); // ignored: beyond the paths a peer may have
});

Deno.test("bonded receiver: the first keypair starts where it is, a newer one at 0, older ones bypass", () => {
  const { out, rx } = setup();
  assert.equal(rx.inOrder(1000, 500), true);
  arrive(rx, 0, 500, 0, true);
  arrive(rx, 0, 501, 0, true);
  assert.deepEqual(out, [500 & 255, 501 & 255]);
  rx.counts.count(0, 0, 501, 100);
  assert.equal(rx.inOrder(2000, 3), true, "a newer keypair");
  assert.equal(rx.counts.highest(0), -1, "receive counts restart with it");
  arrive(rx, 1, 0, 0, true);
  assert.deepEqual(out.slice(2), [0], "ordering restarted at 0");
  assert.equal(rx.inOrder(1000, 502), false, "the previous keypair's stragglers bypass");
});

Deno.test("bonded receiver: only paths carrying data hold a gap open", () => {
  const { out, rx, settings } = setup();
  settings.set(100, 0xff);
  rx.inOrder(1, 0);
  // Path 1 carries probes only: the gap at 1 (a probe still on its way there) waits for nobody.
  arrive(rx, 0, 0, 0, true);
  arrive(rx, 1, 2, 0, true);
  assert.deepEqual(out, [0, 2]);
  arrive(rx, 30, 1, 1, false); // the probe, late: dropped from ordering, nothing lost
  assert.equal(rx.reorder.stats.late, 1);
  // Path 1 now carries data: a gap waits for it until it passes or the timeout.
  arrive(rx, 40, 3, 1, true);
  arrive(rx, 41, 5, 0, true);
  assert.deepEqual(out, [0, 2, 3], "5 waits for 4, which path 1 may still bring");
  arrive(rx, 45, 4, 1, true);
  assert.deepEqual(out, [0, 2, 3, 4, 5]);
  // Path 1 idle for longer than DATA_ACTIVE_MS: gaps no longer wait for it.
  const later = 45 + DATA_ACTIVE_MS + 1;
  arrive(rx, later, 7, 0, true);
  assert.deepEqual(out, [0, 2, 3, 4, 5, 7]);
  // The control plane's mask (from path health) is honoured as well.
  arrive(rx, later + 1, 8, 1, true);
  settings.set(100, 0b01);
  arrive(rx, later + 2, 10, 0, true);
  assert.deepEqual(out.slice(-2), [8, 10], "path 1 is down: 9 is not waited for");
});
