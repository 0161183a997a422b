import assert from "node:assert/strict";
import { ReplayFilter } from "../protocol/replay.ts";
import { REPLAY_WINDOW_DEFAULT } from "../protocol/constants.ts";
import {
  bondedReplayWindow,
  packetsWithin,
  REPLAY_BLOCK_BITS,
  REPLAY_WINDOW_MAX,
} from "./replay_window_size.ts";

Deno.test("100 ms of skew at 1 Gbit/s needs about 9000 counters, in whole blocks", () => {
  assert.equal(packetsWithin(100, 1e9, 1400), 8929);
  const w = bondedReplayWindow(100, 1e9, 1400);
  assert.equal(w, 8960);
  assert.equal(w % REPLAY_BLOCK_BITS, 0);
});

Deno.test("the bonded window never drops below the stock one, nor above the filter's limit", () => {
  assert.equal(bondedReplayWindow(50, 70e6, 1400), REPLAY_WINDOW_DEFAULT);
  assert.equal(bondedReplayWindow(0, 0, 1400), REPLAY_WINDOW_DEFAULT);
  assert.equal(bondedReplayWindow(10_000, 100e9, 64), REPLAY_WINDOW_MAX);
  assert.throws(() => packetsWithin(-1, 1e9, 1400), /got -1/);
});

Deno.test("a replay filter of the bonded size accepts a packet delayed by the full skew", () => {
  const skewMs = 250, bps = 1e9, size = 1400;
  const window = bondedReplayWindow(skewMs, bps, size);
  const late = packetsWithin(skewMs, bps, size);
  const bonded = new ReplayFilter(window);
  const stock = new ReplayFilter();
  // Counter 0 went on the slow path; everything up to `late` arrived first on the fast one.
  for (const f of [bonded, stock]) for (let c = 1; c <= late; c++) f.accept(c);
  assert.equal(bonded.accept(0), true);
  assert.equal(stock.accept(0), false, "the stock window is too small for this skew");
});
