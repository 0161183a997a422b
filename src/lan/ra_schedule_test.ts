import assert from "node:assert/strict";
import {
  INITIAL_INTERVALS_MS,
  MAX_RTR_ADV_INTERVAL_MS,
  MIN_DELAY_BETWEEN_RAS_MS,
  MIN_RTR_ADV_INTERVAL_MS,
  RaSchedule,
} from "./ra_schedule.ts";
import { TestRandom } from "../bonding/test_random.ts";

/** Every send time from `start` up to `until`, asking every 10 ms as the daemon's timer would. */
function sends(s: RaSchedule, start: number, until: number, solicit: number[] = []): number[] {
  const out: number[] = [];
  for (let now = start; now <= until; now += 10) {
    if (solicit.includes(now)) s.onSolicitation(now);
    if (s.due(now)) out.push(now);
  }
  return out;
}

Deno.test("ra schedule: a few quickly at start, then every 200-600 s at random", () => {
  const rnd = new TestRandom(7);
  const s = new RaSchedule(1000, () => rnd.int(1_000_000) / 1_000_000);
  const times = sends(s, 1000, 1000 + 4 * 3_600_000);
  assert.deepEqual(times.slice(0, 4), [1000, 2000, 4000, 8000]);
  assert.equal(INITIAL_INTERVALS_MS.length, 3);
  const gaps = times.slice(4).map((t, i) => t - times[i + 3]);
  assert.ok(gaps.length >= 4 * 3600 / 600, `${gaps.length} periodic RAs in 4 h`);
  for (const g of gaps) {
    assert.ok(g >= MIN_RTR_ADV_INTERVAL_MS && g <= MAX_RTR_ADV_INTERVAL_MS + 10, `gap ${g}`);
  }
  assert.ok(new Set(gaps).size > gaps.length / 2, "the gaps vary");
});

Deno.test("ra schedule: a solicitation is answered within 500 ms, at most one per 3 s", () => {
  const s = new RaSchedule(0, () => 0.5);
  sends(s, 0, 20_000); // past the initial burst
  const quiet = s.nextAt;
  assert.ok(quiet > 200_000);
  // Solicited at 100 s: the answer comes 250 ms later (random 0.5 of 500 ms).
  assert.deepEqual(sends(s, 100_000, 101_000, [100_000]), [100_250]);
  // Another right away: held back to 3 s after the last RA.
  assert.deepEqual(sends(s, 101_000, 110_000, [101_000, 101_500, 102_000]), [
    100_250 + MIN_DELAY_BETWEEN_RAS_MS,
  ]);
  // A solicitation never delays an RA that was due sooner.
  const t = new RaSchedule(0, () => 0.99);
  t.onSolicitation(0);
  assert.equal(t.nextAt, 0);
});
