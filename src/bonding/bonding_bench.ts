/**
 * `deno bench -A src/bonding/bonding_bench.ts`: the per-packet calls of the bonding layer, one
 * packet per iteration, to compare against the data path's budget (~3-5 µs per packet at the
 * measured 200-300 kpps per direction).
 */
import { AggregateScheduler } from "./aggregate_scheduler.ts";
import { flowHash } from "./flow_hash.ts";
import { PATH_UP } from "./path_health.ts";
import { PathReceiveCounts } from "./path_receive_counts.ts";
import { PathSendLog } from "./path_send_log.ts";
import { PathTable } from "./path_table.ts";
import { PinnedScheduler } from "./pinned_scheduler.ts";
import { ReorderBuffer } from "./reorder_buffer.ts";

const MBIT = 1e6 / 8;
const PACKET = 1400;

function table(): PathTable {
  const t = new PathTable(3);
  t.set(0, { state: PATH_UP, rate: 400 * MBIT, owd: 10 });
  t.set(1, { state: PATH_UP, rate: 200 * MBIT, owd: 30 });
  t.set(2, { state: PATH_UP, rate: 100 * MBIT, owd: 50 });
  return t;
}

// A clock that advances one packet time at 700 Mbit/s per call: the paths stay busy but never
// full, so every pick does the whole comparison.
let now = 0;
const tick = (PACKET * 8) / 700e3;

const aggregate = new AggregateScheduler(table());
Deno.bench({
  name: "aggregate pick, 3 paths",
  group: "schedule",
  baseline: true,
  fn: () => {
    now += tick;
    aggregate.pick(now, PACKET, 0);
  },
});

const pinned = new PinnedScheduler(table());
const packet = new Uint8Array(PACKET);
packet.set([0x45, 0, 5, 0x78, 0, 0, 0, 0, 64, 6], 0);
let port = 0;
Deno.bench({
  name: "flow hash + pinned pick, 3 paths",
  group: "schedule",
  fn: () => {
    packet[21] = port++;
    pinned.pick(0, PACKET, flowHash(packet, 0, PACKET));
  },
});

const log = new PathSendLog(65536);
let sent = 0;
Deno.bench({
  name: "send log record",
  group: "account",
  fn: () => log.record(sent++, PACKET, sent),
});

const counts = new PathReceiveCounts(3);
let received = 0;
Deno.bench({
  name: "receive count",
  group: "account",
  fn: () => counts.count(received, received % 3, received++, PACKET),
});

let released = 0;
const inOrder = new ReorderBuffer(
  { capacity: 8192, slotBytes: 1500, paths: 3 },
  () => released++,
);
let c1 = 0;
Deno.bench({
  name: "reorder push, in order",
  group: "reorder",
  baseline: true,
  fn: () => {
    const c = c1++;
    inOrder.push(c, c, c % 3, packet, 0, PACKET);
  },
});

// Pairs swapped (1, 0, 3, 2, ...): every other packet is copied into a slot and released by
// its predecessor.
const swapped = new ReorderBuffer(
  { capacity: 8192, slotBytes: 1500, paths: 3 },
  () => released++,
);
let c2 = 0;
Deno.bench({
  name: "reorder push, pairs swapped",
  group: "reorder",
  fn: () => {
    const c = c2 ^ 1;
    swapped.push(c2++, c, c % 3, packet, 0, PACKET);
  },
});
