import assert from "node:assert/strict";
import { parseRoutedPrefix, routedPrefixOf } from "./routed_prefix.ts";

Deno.test("peer i gets the i-th /64 of the routed prefix", () => {
  const p = parseRoutedPrefix("2001:db8:100::/56", 3);
  assert.equal(routedPrefixOf(p, 0).text, "2001:db8:100::/64");
  assert.equal(routedPrefixOf(p, 1).text, "2001:db8:100:1::/64");
  assert.equal(routedPrefixOf(p, 255).text, "2001:db8:100:ff::/64");
  const wide = parseRoutedPrefix("2001:db8:1::/48", 1);
  assert.equal(routedPrefixOf(wide, 0x1234).text, "2001:db8:1:1234::/64");
});

Deno.test("a routed prefix must be IPv6, /48 to /64, with a /64 for every peer", () => {
  assert.throws(() => parseRoutedPrefix("10.0.0.0/8", 1), /not an IPv6 prefix/);
  assert.throws(() => parseRoutedPrefix("2001:db8::/32", 1), /want a \/48 to \/64.*got \/32/);
  assert.throws(() => parseRoutedPrefix("2001:db8::/80", 1), /got \/80/);
  assert.throws(
    () => parseRoutedPrefix("2001:db8::/63", 3),
    /holds 2 \/64s, but there are 3 peers/,
  );
  assert.equal(parseRoutedPrefix("2001:db8:0:1::5/64", 1).text, "2001:db8:0:1::/64");
});
