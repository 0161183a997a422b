import assert from "node:assert/strict";
import { buildRouterRuleset } from "./router_ruleset.ts";

Deno.test("router ruleset clamps MSS both ways through the tunnel and replaces our table atomically", () => {
  const text = buildRouterRuleset({ tunnelInterface: "bnd0" });
  const lines = text.split("\n");
  assert.equal(lines[0], "add table inet bond");
  assert.equal(lines[1], "delete table inet bond");
  assert.ok(
    lines.includes(
      '\t\tiifname "bnd0" tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu',
    ),
  );
  assert.ok(
    lines.includes(
      '\t\toifname "bnd0" tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu',
    ),
  );
  assert.ok(!/masquerade|flush/.test(text), "the router table must not NAT or flush");
});

Deno.test("router ruleset refuses an interface name that would break out of nft's quoting", () => {
  assert.throws(() => buildRouterRuleset({ tunnelInterface: 'bnd0" accept' }), /tunnelInterface/);
});
