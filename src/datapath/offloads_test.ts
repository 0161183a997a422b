import assert from "node:assert/strict";
import { offloadsFromEnv } from "./offloads.ts";

Deno.test("offloads default to on and can be switched off one by one for measurement", () => {
  assert.deepEqual(offloadsFromEnv(undefined), { gso: true, gro: true });
  assert.deepEqual(offloadsFromEnv("none"), { gso: false, gro: false });
  assert.deepEqual(offloadsFromEnv("gso"), { gso: true, gro: false });
  assert.deepEqual(offloadsFromEnv("gro, gso"), { gso: true, gro: true });
  assert.throws(() => offloadsFromEnv("tso"), /unknown offload "tso"/);
});
