import assert from "node:assert/strict";
import { PROFILE_A, PROFILE_B, PROFILE_C, profileNamed, profileSumMbps } from "./profiles.ts";
import { checkLinkPatch } from "./wan_settings.ts";

Deno.test("profiles hold the links of issue 4", () => {
  const rates = (p: typeof PROFILE_A) => p.links.map((l) => [l.down?.rateMbps, l.down?.delayMs]);
  assert.deepEqual(rates(PROFILE_A), [[40, 10], [20, 30], [10, 50]]);
  assert.deepEqual(rates(PROFILE_B), rates(PROFILE_A));
  assert.deepEqual(PROFILE_B.links.map((l) => l.up?.lossPercent ?? 0), [0, 0, 2]);
  assert.deepEqual(rates(PROFILE_C), [[50, 5], [25, 120]]);
  assert.equal(PROFILE_C.links[1].up?.jitterMs, 20);
  for (const p of [PROFILE_A, PROFILE_B, PROFILE_C]) p.links.forEach((l) => checkLinkPatch(l));
});

Deno.test("profile sums and lookup by name", () => {
  assert.equal(profileSumMbps(PROFILE_A, "down"), 70);
  assert.equal(profileSumMbps(PROFILE_C, "up"), 75);
  assert.equal(profileNamed("b"), PROFILE_B);
  assert.throws(() => profileNamed("z"), /unknown WAN profile "z" \(known: A, B, C\)/);
});
