import assert from "node:assert/strict";
import { cgnatRuleset } from "./cgnat.ts";

Deno.test("CGNAT leaves the first pass untracked and masquerades the access network out of transit", () => {
  const rules = cgnatRuleset({
    accessIf: "access",
    transitIf: "transit",
    downTun: "emu_down",
    accessSubnet: "100.64.1.0/24",
  });
  // Replaces an earlier table in the same transaction.
  assert.match(rules, /^table ip wan_cgnat\ndelete table ip wan_cgnat\n/);
  assert.match(rules, /iifname \{ "access", "emu_down" \} notrack/);
  assert.match(rules, /oifname "transit" ip saddr 100\.64\.1\.0\/24 masquerade/);
});
