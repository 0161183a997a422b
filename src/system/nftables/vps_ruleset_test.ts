import assert from "node:assert/strict";
import { buildVpsRuleset } from "./vps_ruleset.ts";

const BASE = {
  tunnelInterface: "bnd0",
  publicInterface: "eth0",
  tunnelSubnets: ["10.66.0.1/24", "fd66::1/64", "192.168.1.0/24"],
};

function lines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

Deno.test("ruleset replaces our inet table atomically: add, delete, then the full table", () => {
  const l = lines(buildVpsRuleset(BASE));
  assert.deepEqual(l.slice(0, 3), [
    "add table inet bond",
    "delete table inet bond",
    "table inet bond {",
  ]);
  assert.equal(l.filter((x) => /^(add|delete|table|flush)\b/.test(x)).length, 3);
  assert.ok(!/flush/.test(buildVpsRuleset(BASE)));
});

Deno.test("ruleset masquerades each tunnel subnet out of the public interface, by family", () => {
  const l = lines(buildVpsRuleset(BASE));
  assert.deepEqual(l.filter((x) => x.endsWith("masquerade")), [
    'oifname "eth0" ip saddr 10.66.0.0/24 masquerade',
    'oifname "eth0" ip6 saddr fd66::/64 masquerade',
    'oifname "eth0" ip saddr 192.168.1.0/24 masquerade',
  ]);
});

Deno.test("ruleset masquerades in a srcnat postrouting chain", () => {
  const text = buildVpsRuleset(BASE);
  const chain = /chain postrouting \{([^}]*)\}/.exec(text);
  assert.ok(chain);
  assert.match(chain[1], /type nat hook postrouting priority srcnat; policy accept;/);
  assert.match(chain[1], /masquerade/);
});

Deno.test("ruleset accepts forwarding tunnel to public and back, without a drop policy", () => {
  const text = buildVpsRuleset(BASE);
  const chain = /chain forward \{([^}]*)\}/.exec(text);
  assert.ok(chain);
  const l = lines(chain[1]);
  assert.equal(l[0], "type filter hook forward priority filter; policy accept;");
  assert.ok(l.includes('iifname "bnd0" oifname "eth0" accept'));
  assert.ok(l.includes('iifname "eth0" oifname "bnd0" accept'));
  assert.ok(!/drop|reject/.test(text));
});

Deno.test("ruleset clamps MSS to the route MTU on SYNs entering or leaving the tunnel first", () => {
  const l = lines(/chain forward \{([^}]*)\}/.exec(buildVpsRuleset(BASE))![1]);
  const clamp = "tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu";
  assert.equal(l[1], `iifname "bnd0" ${clamp}`);
  assert.equal(l[2], `oifname "bnd0" ${clamp}`);
  // Before the accepts, which end the chain.
  assert.ok(l.indexOf(`iifname "bnd0" oifname "eth0" accept`) > 2);
});

Deno.test("ruleset lists a subnet once however it was written", () => {
  const text = buildVpsRuleset({
    ...BASE,
    tunnelSubnets: ["10.66.0.1/24", "10.66.0.2/24", "10.66.0.0/24", "FD66:0::5/64"],
  });
  assert.equal(lines(text).filter((x) => x.endsWith("masquerade")).length, 2);
});

Deno.test("ruleset uses the table name given", () => {
  const l = lines(buildVpsRuleset({ ...BASE, table: "bond_wan2" }));
  assert.deepEqual(l.slice(0, 3), [
    "add table inet bond_wan2",
    "delete table inet bond_wan2",
    "table inet bond_wan2 {",
  ]);
});

Deno.test("ruleset refuses bad options with the key and value in the message", () => {
  assert.throws(
    () => buildVpsRuleset({ ...BASE, publicInterface: 'eth0" accept' }),
    /publicInterface: "eth0\\" accept"/,
  );
  assert.throws(
    () => buildVpsRuleset({ ...BASE, tunnelInterface: "a-very-long-name0" }),
    /tunnelInterface/,
  );
  assert.throws(() => buildVpsRuleset({ ...BASE, tunnelInterface: "" }), /tunnelInterface/);
  assert.throws(() => buildVpsRuleset({ ...BASE, publicInterface: "bnd0" }), /both "bnd0"/);
  assert.throws(() => buildVpsRuleset({ ...BASE, tunnelSubnets: [] }), /tunnelSubnets: need/);
  assert.throws(
    () => buildVpsRuleset({ ...BASE, tunnelSubnets: ["10.66.0.0/33"] }),
    /tunnelSubnets: "10.66.0.0\/33"/,
  );
  assert.throws(
    () => buildVpsRuleset({ ...BASE, tunnelSubnets: ["bnd0"] }),
    /tunnelSubnets: "bnd0"/,
  );
  assert.throws(() => buildVpsRuleset({ ...BASE, table: "bond; flush ruleset" }), /table name/);
});
