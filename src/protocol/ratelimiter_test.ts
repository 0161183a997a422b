import assert from "node:assert/strict";
import { RateLimiter } from "./ratelimiter.ts";
import { Endpoint } from "./endpoint.ts";

const ep = (t: string) => Endpoint.parse(t);

Deno.test("rate limiter allows the burst, then the configured rate", () => {
  const rl = new RateLimiter({ perSecond: 20, burst: 5 });
  const src = ep("192.0.2.1:1");
  let allowed = 0;
  for (let i = 0; i < 50; i++) if (rl.allow(0, src)) allowed++;
  assert.equal(allowed, 5);
  // Over the next second, one message every 10 ms: about 20 get through.
  allowed = 0;
  for (let t = 10; t <= 1000; t += 10) if (rl.allow(t, src)) allowed++;
  assert.ok(allowed >= 19 && allowed <= 21, `allowed ${allowed}`);
});

Deno.test("rate limiter tracks sources separately; IPv6 by /64; ports do not matter", () => {
  const rl = new RateLimiter({ perSecond: 1, burst: 1 });
  assert.equal(rl.allow(0, ep("192.0.2.1:1")), true);
  assert.equal(rl.allow(0, ep("192.0.2.1:2")), false, "same address, other port");
  assert.equal(rl.allow(0, ep("192.0.2.2:1")), true);
  assert.equal(rl.allow(0, ep("[2001:db8:0:1::1]:1")), true);
  assert.equal(rl.allow(0, ep("[2001:db8:0:1::ffff]:1")), false, "same /64");
  assert.equal(rl.allow(0, ep("[2001:db8:0:2::1]:1")), true);
});

Deno.test("rate limiter memory is bounded and idle sources are collected", () => {
  const rl = new RateLimiter({ perSecond: 20, burst: 5, maxEntries: 100 });
  for (let i = 0; i < 300; i++) rl.allow(0, ep(`10.0.${i >> 8}.${i & 255}:1`));
  assert.equal(rl.size, 100);
  assert.equal(rl.allow(0, ep("10.9.9.9:1")), false, "new sources refused while full");
  rl.gc(5000);
  assert.equal(rl.size, 0);
  assert.equal(rl.allow(5000, ep("10.9.9.9:1")), true);
});
