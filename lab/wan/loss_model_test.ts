import assert from "node:assert/strict";
import { LossModel } from "./loss_model.ts";
import { seededRandom } from "./seeded_random.ts";

const PACKETS = 200_000;

/** Mean loss (fraction) and mean length of runs of consecutive losses. */
function measure(model: LossModel): { loss: number; burst: number } {
  let lost = 0;
  let bursts = 0;
  let previous = false;
  for (let i = 0; i < PACKETS; i++) {
    const drop = model.drop();
    if (drop) {
      lost++;
      if (!previous) bursts++;
    }
    previous = drop;
  }
  return { loss: lost / PACKETS, burst: bursts === 0 ? 0 : lost / bursts };
}

Deno.test("no loss configured loses nothing, 100% loses everything", () => {
  const model = new LossModel(seededRandom(1));
  model.configure(0, 1);
  assert.equal(measure(model).loss, 0);
  model.configure(100, 1);
  assert.equal(measure(model).loss, 1);
});

Deno.test("random loss matches its rate and comes in runs as short as chance makes them", () => {
  const model = new LossModel(seededRandom(2));
  model.configure(5, 1);
  const { loss, burst } = measure(model);
  // 200k packets: the standard deviation of the measured rate is 0.05 percentage points.
  assert.ok(Math.abs(loss - 0.05) < 0.003, `loss ${loss}`);
  // Independent losses: mean run 1 / (1 - 0.05) = 1.05.
  assert.ok(Math.abs(burst - 1 / 0.95) < 0.03, `burst ${burst}`);
});

Deno.test("bursty loss keeps the mean rate and has the configured mean burst length", () => {
  for (const [percent, length] of [[5, 4], [2, 10], [20, 3]]) {
    const model = new LossModel(seededRandom(3 + length));
    model.configure(percent, length);
    const { loss, burst } = measure(model);
    assert.ok(
      Math.abs(loss - percent / 100) < 0.25 * percent / 100,
      `${percent}%/${length}: loss ${loss}`,
    );
    assert.ok(Math.abs(burst - length) < 0.15 * length, `${percent}%/${length}: burst ${burst}`);
  }
});

Deno.test("reconfiguring from bursty to none stops losses at once", () => {
  const model = new LossModel(seededRandom(9));
  model.configure(50, 100);
  for (let i = 0; i < 1000; i++) model.drop();
  model.configure(0, 100);
  assert.equal(measure(model).loss, 0);
});
