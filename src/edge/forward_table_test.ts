import assert from "node:assert/strict";
import type { ForwardConfig } from "../config/types.ts";
import { parseCidr } from "../net/cidr.ts";
import { describeForward, ForwardTable } from "./forward_table.ts";

const PEERS = [
  { name: "home", allowedIps: ["10.77.0.2/32", "192.168.50.0/24", "fd50::/64"].map(parseCidr) },
  { name: "office", allowedIps: ["10.77.0.3/32", "192.168.60.0/24"].map(parseCidr) },
];

function fwd(proto: "tcp" | "udp", port: number, host: string, to: number): ForwardConfig {
  return { proto, port, to: { host, port: to } };
}

Deno.test("forwards of a peer are accepted and reported as added, with family and target", () => {
  const t = new ForwardTable(PEERS);
  const c = t.set("home", [fwd("tcp", 8080, "192.168.50.2", 80), fwd("udp", 5353, "fd50::2", 53)]);
  assert.equal(c.changed, true);
  assert.deepEqual(c.refused, []);
  assert.deepEqual(c.removed, []);
  assert.deepEqual(c.added, [
    { peer: "home", proto: "tcp", port: 8080, family: 4, target: "192.168.50.2", targetPort: 80 },
    { peer: "home", proto: "udp", port: 5353, family: 6, target: "fd50::2", targetPort: 53 },
  ]);
  assert.equal(t.active().length, 2);
});

Deno.test("re-sending the same forwards changes nothing", () => {
  const t = new ForwardTable(PEERS);
  const set = [fwd("tcp", 8080, "192.168.50.2", 80)];
  t.set("home", set);
  const again = t.set("home", [...set]);
  assert.deepEqual(again, { added: [], removed: [], refused: [], changed: false });
  assert.equal(t.active().length, 1);
});

Deno.test("a live change reports exactly what was added and removed", () => {
  const t = new ForwardTable(PEERS);
  t.set("home", [fwd("tcp", 8080, "192.168.50.2", 80), fwd("udp", 9000, "192.168.50.3", 9000)]);
  const c = t.set("home", [
    fwd("tcp", 8080, "192.168.50.2", 80),
    fwd("tcp", 2222, "192.168.50.4", 22),
  ]);
  assert.deepEqual(c.added.map(describeForward), ["tcp/2222 -> 192.168.50.4:22"]);
  assert.deepEqual(c.removed.map(describeForward), ["udp/9000 -> 192.168.50.3:9000"]);
  // A new target on the same port is a removal plus an addition.
  const moved = t.set("home", [
    fwd("tcp", 8080, "192.168.50.9", 80),
    fwd("tcp", 2222, "192.168.50.4", 22),
  ]);
  assert.deepEqual(moved.added.map(describeForward), ["tcp/8080 -> 192.168.50.9:80"]);
  assert.deepEqual(moved.removed.map(describeForward), ["tcp/8080 -> 192.168.50.2:80"]);
  assert.deepEqual(t.set("home", []).removed.length, 2);
  assert.deepEqual(t.active(), []);
});

Deno.test("ports 65000-65535 are refused with the reserved-ports message", () => {
  const t = new ForwardTable(PEERS);
  for (const port of [65000, 65535]) {
    const c = t.set("home", [fwd("tcp", port, "192.168.50.2", 80)]);
    assert.equal(c.changed, false);
    assert.equal(c.refused.length, 1);
    assert.match(c.refused[0].reason, /65000-65535 are reserved for the VPS itself/);
  }
  assert.equal(t.set("home", [fwd("tcp", 64999, "192.168.50.2", 80)]).refused.length, 0);
});

Deno.test("a forward another peer holds is refused for the later peer and kept in its status", () => {
  const t = new ForwardTable(PEERS);
  t.set("home", [fwd("tcp", 8080, "192.168.50.2", 80)]);
  const c = t.set("office", [
    fwd("tcp", 8080, "192.168.60.2", 80),
    fwd("udp", 8080, "192.168.60.2", 80),
  ]);
  assert.equal(c.refused.length, 1);
  assert.match(c.refused[0].reason, /tcp\/8080 \(IPv4\) is already forwarded to peer "home"/);
  assert.deepEqual(c.added.map(describeForward), ["udp/8080 -> 192.168.60.2:80"]);
  assert.equal(t.status("office").refused.length, 1);
  assert.equal(t.status("home").accepted[0].target, "192.168.50.2");
  // The holder re-sending its set keeps the port; the other family of the same port is free.
  assert.equal(t.set("home", [fwd("tcp", 8080, "192.168.50.2", 80)]).changed, false);
  assert.equal(
    t.set("home", [fwd("tcp", 8080, "192.168.50.2", 80), fwd("tcp", 8080, "fd50::2", 80)]).refused
      .length,
    0,
  );
});

Deno.test("a port listed twice by one peer is refused once", () => {
  const t = new ForwardTable(PEERS);
  const c = t.set("home", [fwd("tcp", 80, "192.168.50.2", 80), fwd("tcp", 80, "192.168.50.3", 80)]);
  assert.equal(c.added.length, 1);
  assert.match(c.refused[0].reason, /listed twice/);
});

Deno.test("targets outside the peer's allowed IPs or not routable through the tunnel are refused", () => {
  const t = new ForwardTable(PEERS);
  const c = t.set("office", [
    fwd("tcp", 1, "192.168.50.2", 80), // home's LAN
    fwd("tcp", 2, "fe80::1", 80),
    fwd("tcp", 3, "ff02::1", 80),
    fwd("tcp", 4, "127.0.0.1", 80),
    fwd("tcp", 5, "lan-host", 80),
  ]);
  assert.equal(c.added.length, 0);
  const reasons = c.refused.map((r) => r.reason);
  assert.match(reasons[0], /not inside the allowed_ips of peer "office"/);
  assert.match(reasons[1], /link-local/);
  assert.match(reasons[2], /multicast/);
  assert.match(reasons[3], /loopback/);
  assert.match(reasons[4], /not an IP address/);
});

Deno.test("forwards for a peer the VPS does not know are a programming error", () => {
  assert.throws(() => new ForwardTable(PEERS).set("nobody", []), /unknown peer "nobody"/);
});
