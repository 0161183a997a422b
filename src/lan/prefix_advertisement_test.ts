import assert from "node:assert/strict";
import { goodbyeAdvertisement, prefixAdvertisement } from "./prefix_advertisement.ts";
import { buildRouterAdvertisement } from "./router_advertisement.ts";
import { parseIPv6 } from "../net/ip_address.ts";

const prefix = { address: parseIPv6("2001:db8:100::"), prefixLength: 64 };

Deno.test("prefix advertisement: default router, SLAAC prefix, tunnel MTU", () => {
  const ra = prefixAdvertisement(prefix, 1380);
  assert.ok(ra.routerLifetimeS > 0);
  assert.equal(ra.mtu, 1380);
  const [p] = ra.prefixes;
  assert.equal(p.onLink && p.autonomous, true);
  assert.ok(p.preferredLifetimeS > 600, "outlives the longest gap between RAs");
  assert.ok(p.validLifetimeS >= p.preferredLifetimeS);
  buildRouterAdvertisement(ra); // encodable
});

Deno.test("goodbye advertisement: router lifetime 0, prefix deprecated", () => {
  const ra = goodbyeAdvertisement(prefix, 1380);
  assert.equal(ra.routerLifetimeS, 0);
  assert.equal(ra.prefixes[0].preferredLifetimeS, 0);
  assert.equal(ra.prefixes[0].prefixLength, 64);
  const bytes = buildRouterAdvertisement(ra);
  assert.deepEqual([...bytes.subarray(6, 8)], [0, 0]);
});
