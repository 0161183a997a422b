import assert from "node:assert/strict";
import { parseCidr } from "../../net/cidr.ts";
import { buildVpsRuleset } from "./vps_ruleset.ts";
import { dnatRule } from "./vps_dnat_rules.ts";
import { isolationRules } from "./vps_isolation_rules.ts";

const BASE = {
  tunnelInterface: "bnd0",
  publicInterface: "eth0",
  tunnelSubnets: ["10.66.0.1/24", "fd66::1/64", "192.168.1.0/24"],
};

function chain(text: string, name: string): string[] {
  const body = new RegExp(`chain ${name} \\{([^}]*)\\}`).exec(text);
  assert.ok(body, `chain ${name} missing`);
  return body[1].split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

Deno.test("forwards become DNAT rules for the VPS's own addresses on the public interface", () => {
  const text = buildVpsRuleset({
    ...BASE,
    forwards: [
      { proto: "tcp", port: 8080, target: "192.168.1.5", targetPort: 80 },
      { proto: "udp", port: 5353, target: "FD50:0::2", targetPort: 53 },
    ],
  });
  assert.deepEqual(chain(text, "prerouting"), [
    "type nat hook prerouting priority dstnat; policy accept;",
    'iifname "eth0" meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 192.168.1.5:80',
    'iifname "eth0" meta nfproto ipv6 fib daddr type local udp dport 5353 dnat ip6 to [fd50::2]:53',
  ]);
  assert.ok(chain(text, "forward").includes('iifname "eth0" oifname "bnd0" ct status dnat accept'));
});

Deno.test("no forwards, no prerouting chain", () => {
  assert.ok(!/prerouting|dnat/.test(buildVpsRuleset(BASE)));
});

Deno.test("a DNAT rule refuses what is not an address or a port", () => {
  assert.throws(() => dnatRule('"eth0"', { proto: "tcp", port: 1, target: "lan", targetPort: 1 }));
  assert.throws(
    () => dnatRule('"eth0"', { proto: "tcp", port: 0, target: "10.0.0.1", targetPort: 1 }),
    /forward port 0 out of range/,
  );
});

Deno.test("peers are isolated unless reach allows one direction; replies pass", () => {
  const lines = isolationRules('"bnd0"', [
    {
      name: "home",
      prefixes: ["10.66.0.2/32", "192.168.1.0/24", "192.168.1.9/32", "fd50::/64"].map(parseCidr),
      reach: ["phone"],
    },
    { name: "phone", prefixes: ["10.66.0.9/32", "fd66::9/128"].map(parseCidr), reach: [] },
    { name: "office", prefixes: ["0.0.0.0/0", "192.168.2.0/24"].map(parseCidr), reach: [] },
  ]).map((l) => l.trim());
  assert.deepEqual(lines, [
    'iifname "bnd0" oifname "bnd0" ct state established,related accept',
    'iifname "bnd0" oifname "bnd0" ip saddr { 10.66.0.2/32, 192.168.1.0/24 } ip daddr { 10.66.0.9/32 } accept',
    'iifname "bnd0" oifname "bnd0" ip6 saddr { fd50::/64 } ip6 daddr { fd66::9/128 } accept',
    'iifname "bnd0" oifname "bnd0" drop',
  ]);
  assert.throws(
    () => isolationRules('"bnd0"', [{ name: "a", prefixes: [], reach: ["b"] }]),
    /reaches unknown "b"/,
  );
});

Deno.test("isolation sits before the tunnel-to-public accept in the forward chain", () => {
  const l = chain(
    buildVpsRuleset({ ...BASE, isolation: [{ name: "a", prefixes: [], reach: [] }] }),
    "forward",
  );
  assert.ok(
    l.indexOf('iifname "bnd0" oifname "bnd0" drop') <
      l.indexOf('iifname "bnd0" oifname "eth0" accept'),
  );
});

Deno.test("a routed IPv6 prefix skips NAT66 and is closed to unsolicited connections", () => {
  const text = buildVpsRuleset({ ...BASE, routedPrefixes: ["2001:db8:100::1/56"] });
  const post = chain(text, "postrouting");
  assert.equal(post[1], 'oifname "eth0" ip6 saddr 2001:db8:100::/56 accept');
  const fwd = chain(text, "forward");
  const est =
    'iifname "eth0" oifname "bnd0" ip6 daddr 2001:db8:100::/56 ct state established,related accept';
  const drop = 'iifname "eth0" oifname "bnd0" ip6 daddr 2001:db8:100::/56 drop';
  assert.ok(fwd.indexOf(est) >= 0 && fwd.indexOf(est) < fwd.indexOf(drop));
  assert.ok(fwd.indexOf(drop) < fwd.indexOf('iifname "eth0" oifname "bnd0" accept'));
  assert.throws(() => buildVpsRuleset({ ...BASE, routedPrefixes: ["10.0.0.0/8"] }), /not IPv6/);
});
