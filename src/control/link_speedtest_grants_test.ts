import assert from "node:assert/strict";
import { GRANT_TTL_MS, LinkGrants, MAX_OUTSTANDING_GRANTS } from "./link_speedtest_grants.ts";

Deno.test("a grant is a 128-bit hex token that expires after the TTL", () => {
  const grants = new LinkGrants();
  const g = grants.issue(1000)!;
  assert.match(g.token, /^[0-9a-f]{32}$/);
  assert.equal(g.expiresAtMs, 1000 + GRANT_TTL_MS);
  assert.notEqual(grants.issue(1000)!.token, g.token, "each grant is fresh");
});

Deno.test("a grant is good once", () => {
  const grants = new LinkGrants();
  const g = grants.issue(0)!;
  assert.equal(grants.redeem(g.token, 10), true);
  assert.equal(grants.redeem(g.token, 20), false, "used");
  assert.equal(grants.outstanding(20), 0);
});

Deno.test("an expired grant is refused, a grant just before expiry is not", () => {
  const grants = new LinkGrants(1000);
  const a = grants.issue(0)!;
  const b = grants.issue(0)!;
  assert.equal(grants.redeem(a.token, 999), true);
  assert.equal(grants.redeem(b.token, 1000), false, "expired at exactly the TTL");
  assert.equal(grants.outstanding(1000), 0);
});

Deno.test("unknown, empty and non-string tokens are refused", () => {
  const grants = new LinkGrants();
  grants.issue(0);
  for (const t of ["", "00".repeat(16), undefined, 42, null, {}]) {
    assert.equal(grants.redeem(t, 1), false, JSON.stringify(t));
  }
  assert.equal(grants.outstanding(1), 1, "a wrong guess does not cost the real grant");
});

Deno.test("outstanding grants are bounded; using or expiring one makes room", () => {
  const grants = new LinkGrants(1000, 3);
  const issued = [grants.issue(0)!, grants.issue(0)!, grants.issue(100)!];
  assert.equal(grants.issue(200), undefined, "bound reached");
  assert.equal(grants.redeem(issued[0].token, 300), true);
  assert.ok(grants.issue(300), "room after a use");
  assert.equal(grants.issue(400), undefined);
  // At 1000 the two grants from 0 are gone (one used, one expired); 100's lives until 1100.
  assert.ok(grants.issue(1000));
  assert.equal(grants.outstanding(1000), 3);
  assert.equal(grants.redeem(issued[2].token, 1050), true);
});

Deno.test("the default bound is the documented one", () => {
  const grants = new LinkGrants();
  for (let i = 0; i < MAX_OUTSTANDING_GRANTS; i++) assert.ok(grants.issue(0));
  assert.equal(grants.issue(0), undefined);
});

Deno.test("a repeated token from a broken random source is never handed out twice", () => {
  const grants = new LinkGrants(1000, 10, (b) => b.fill(7));
  assert.ok(grants.issue(0));
  assert.equal(grants.issue(0), undefined);
});
