import assert from "node:assert/strict";
import { routerValue, vpsValue, type Yamlish } from "./test_fixtures.ts";
import { checkConfig as check, configProblems as problems } from "./test_validate.ts";

const OTHER_KEY = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

function twoPeers(): Yamlish {
  const v = vpsValue();
  v.peers[0].allowed_ips.push("192.168.50.0/24", "fd50::/64");
  v.peers.push({ name: "office", public_key: OTHER_KEY, allowed_ips: ["192.168.60.0/24"] });
  return v;
}

Deno.test("a VPS peer carries static forwards and reach; both default to empty", () => {
  const v = twoPeers();
  v.peers[0].forwards = [
    { proto: "tcp", port: 8080, to: "192.168.50.2:80" },
    { proto: "tcp", port: 8080, to: "[fd50::2]:80" },
  ];
  v.peers[1].reach = ["home"];
  const r = check(v);
  if (!r.ok) throw new Error(r.problems.join("\n"));
  assert.equal(r.config.peers[0].forwards.length, 2);
  assert.deepEqual(r.config.peers[1].reach, ["home"]);
  assert.deepEqual(r.config.peers[1].forwards, []);
  assert.deepEqual(r.config.peers[0].reach, []);
});

Deno.test("a VPS forward into 65000-65535 is refused with the reserved-ports message", () => {
  const v = twoPeers();
  v.peers[0].forwards = [{ proto: "udp", port: 65001, to: "192.168.50.2:53" }];
  assert.match(
    problems(v).join("\n"),
    /peers\[0\]\.forwards\[0\]\.port: 65001: ports 65000-65535 are reserved for the VPS itself/,
  );
});

Deno.test("the same public port forwarded to two peers is refused for the later one", () => {
  const v = twoPeers();
  v.peers[0].forwards = [{ proto: "tcp", port: 443, to: "192.168.50.2:443" }];
  v.peers[1].forwards = [{ proto: "tcp", port: 443, to: "192.168.60.2:443" }];
  assert.deepEqual(problems(v), [
    'peers[1].forwards[0].port: tcp/443 is already forwarded to peers[0] ("home")',
  ]);
});

Deno.test("reach must name another existing peer", () => {
  const v = twoPeers();
  v.peers[0].reach = ["home", "ofice"];
  const p = problems(v).join("\n");
  assert.match(p, /peers\[0\]\.reach\[0\]: "home" is this peer itself/);
  assert.match(p, /peers\[0\]\.reach\[1\]: no peer is named "ofice"/);
});

Deno.test("forwards and reach inside a peer are VPS-only", () => {
  const r = routerValue();
  r.peers[0].forwards = [];
  r.peers[0].reach = [];
  const p = problems(r).join("\n");
  assert.match(p, /peers\[0\]\.forwards: only for role vps/);
  assert.match(p, /peers\[0\]\.reach: only for role vps/);
});

Deno.test("nat.ipv6_prefix hands each peer its /64, routed to it as an allowed IP", () => {
  const v = twoPeers();
  v.nat.ipv6_prefix = "2001:db8:100::/56";
  const r = check(v);
  if (!r.ok) throw new Error(r.problems.join("\n"));
  assert.equal(r.config.nat?.ipv6Prefix?.text, "2001:db8:100::/56");
  assert.equal(r.config.peers[0].routedPrefix?.text, "2001:db8:100::/64");
  assert.equal(r.config.peers[1].routedPrefix?.text, "2001:db8:100:1::/64");
  assert.ok(r.config.peers[1].allowedIps.some((c) => c.text === "2001:db8:100:1::/64"));
  v.nat.ipv6_prefix = "2001:db8:100::/64";
  assert.match(
    problems(v).join("\n"),
    /nat\.ipv6_prefix: a \/64 holds 1 \/64s, but there are 2 peers/,
  );
});

Deno.test("a forward's target must be in the peer's allowed_ips and routable", () => {
  const v = twoPeers();
  v.peers[1].forwards = [
    { proto: "tcp", port: 80, to: "192.168.50.2:80" },
    { proto: "tcp", port: 81, to: "[fe80::1]:80" },
  ];
  assert.deepEqual(problems(v), [
    "peers[1].forwards[0].to: 192.168.50.2 is not inside this peer's allowed_ips",
    "peers[1].forwards[1].to: fe80::1 is a link-local address",
  ]);
});
