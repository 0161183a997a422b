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

Deno.test("router ruleset redirects TCP bound for the tunnel to the split listener only when asked", () => {
  assert.ok(!/redirect|chain split/.test(buildRouterRuleset({ tunnelInterface: "bnd0" })));
  const text = buildRouterRuleset({ tunnelInterface: "bnd0", splitPort: 65010 });
  const lines = text.split("\n");
  assert.ok(lines.includes("\t\ttype nat hook prerouting priority dstnat; policy accept;"));
  assert.ok(
    lines.includes(
      '\t\tiifname != "bnd0" meta l4proto tcp fib daddr oifname "bnd0" redirect to :65010',
    ),
  );
  // The clamp stays, and the table still ends after the last chain.
  assert.ok(text.includes("tcp option maxseg size set rt mtu"));
  assert.equal(lines.at(-2), "}");
  assert.throws(() => buildRouterRuleset({ tunnelInterface: "bnd0", splitPort: 0 }), /splitPort/);
});

Deno.test("router ruleset guards the split port, with or without the redirect", () => {
  const guard = "\t\ttcp dport 65010 ct status & dnat == 0 reject with tcp reset";
  assert.ok(!/split_guard|reject/.test(buildRouterRuleset({ tunnelInterface: "bnd0" })));
  const guarded = buildRouterRuleset({
    tunnelInterface: "bnd0",
    splitPort: 65010,
    splitRedirect: false,
  }).split("\n");
  assert.ok(guarded.includes("\t\ttype filter hook input priority filter; policy accept;"));
  assert.ok(guarded.includes(guard));
  assert.ok(!guarded.some((l) => /redirect/.test(l)), "no redirect while the split waits");
  const on = buildRouterRuleset({ tunnelInterface: "bnd0", splitPort: 65010 }).split("\n");
  assert.ok(on.includes(guard));
  assert.ok(on.some((l) => /redirect to :65010/.test(l)));
});
