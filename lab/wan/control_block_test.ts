import assert from "node:assert/strict";
import { ControlBlock } from "./control_block.ts";
import { linkSettings } from "./wan_settings.ts";

Deno.test("settings published on one side read back whole on the other", () => {
  const main = ControlBlock.create();
  const worker = ControlBlock.attach(main.buffer);
  assert.equal(worker.settingsSeq(), 0);
  const settings = linkSettings({
    down: { rateMbps: 40, delayMs: 10.5, jitterMs: 2, reorder: true },
    up: { lossPercent: 2, burstLength: 3, queueBytes: 65536, queueMs: 20, down: true },
  });
  assert.equal(main.publishSettings(settings), 1);
  assert.equal(worker.settingsSeq(), 1);
  assert.deepEqual(worker.readSettings(), settings);
  assert.equal(main.publishSettings(linkSettings()), 2);
  assert.deepEqual(worker.readSettings(), linkSettings());
});

Deno.test("stats requests and stop are seen through the shared block", () => {
  const main = ControlBlock.create();
  const worker = ControlBlock.attach(main.buffer);
  assert.equal(main.requestStats(), 1);
  assert.equal(main.requestStats(), 2);
  assert.equal(worker.statsSeq(), 2);
  assert.equal(worker.stopRequested(), false);
  main.requestStop();
  assert.equal(worker.stopRequested(), true);
});
