import assert from "node:assert/strict";
import { offloadNames, offloadsFromEnv } from "./offloads.ts";

Deno.test("offloads default to on and can be switched off one by one for measurement", () => {
  assert.deepEqual(offloadsFromEnv(undefined), { gso: true, gro: true, tun: true });
  assert.deepEqual(offloadsFromEnv("none"), { gso: false, gro: false, tun: false });
  assert.deepEqual(offloadsFromEnv("gso"), { gso: true, gro: false, tun: false });
  assert.deepEqual(offloadsFromEnv("gro, gso"), { gso: true, gro: true, tun: false });
  assert.deepEqual(offloadsFromEnv("tun"), { gso: false, gro: false, tun: true });
  assert.throws(() => offloadsFromEnv("tso"), /unknown offload "tso"/);
});

Deno.test("offloads in use are named the way status lists them", () => {
  assert.deepEqual(offloadNames({ gso: true, gro: true, tun: true }), ["gso", "gro", "tun"]);
  assert.deepEqual(offloadNames({ gso: false, gro: true, tun: false }), ["gro"]);
  assert.deepEqual(offloadNames({ gso: false, gro: false, tun: false }), []);
});
