/** The address and routing plan of lab/topology_wan.ts (building it needs root: tests/netns). */
import assert from "node:assert/strict";
import { describeWanTopology, MAX_WANS, WAN_TABLE_BASE } from "../topology_wan.ts";
import { PROFILE_A, PROFILE_C } from "./profiles.ts";
import { bothWays } from "./wan_settings.ts";

Deno.test("the default plan is three WANs with profile A's settings", () => {
  const t = describeWanTopology();
  assert.deepEqual(t.wans.map((w) => w.name), ["wan1", "wan2", "wan3"]);
  assert.deepEqual(t.hosts.isps, ["isp1", "isp2", "isp3"]);
  assert.deepEqual(t.wans.map((w) => w.settings), PROFILE_A.links);
  assert.deepEqual(t.wans.map((w) => w.table), [
    WAN_TABLE_BASE + 1,
    WAN_TABLE_BASE + 2,
    WAN_TABLE_BASE + 3,
  ]);
  assert.ok(t.wans.every((w) => !w.nat));
  assert.equal(t.mtu, 1500);
});

Deno.test("each WAN has its own subnets, the router and the ISP share the access one", () => {
  const t = describeWanTopology({ links: PROFILE_C.links });
  assert.equal(t.wans.length, 2);
  const w = t.wans[1];
  assert.deepEqual(w.router, {
    host: "router",
    ifname: "wan2",
    v4: "100.64.2.2",
    v6: "2001:db8:a:2::2",
  });
  assert.deepEqual(w.access, {
    host: "isp2",
    ifname: "access",
    v4: "100.64.2.1",
    v6: "2001:db8:a:2::1",
  });
  assert.deepEqual(w.transit, {
    host: "isp2",
    ifname: "transit",
    v4: "198.18.2.2",
    v6: "2001:db8:f:2::2",
  });
  assert.deepEqual(w.inet, {
    host: "inet",
    ifname: "isp2",
    v4: "198.18.2.1",
    v6: "2001:db8:f:2::1",
  });
  assert.deepEqual(w.subnets.access, { v4: "100.64.2.0/24", v6: "2001:db8:a:2::/64" });
  // The VPS and srv keep the single-WAN lab's addresses.
  assert.equal(t.vps.eth0.v4, "203.0.113.10");
  assert.equal(t.srv.eth0.v6, "2001:db8:3::10");
});

Deno.test("no address is used twice", () => {
  const t = describeWanTopology({ links: Array.from({ length: MAX_WANS }, () => bothWays({})) });
  const ends = [
    t.lan.eth0,
    t.router.lan,
    t.inet.vps,
    t.inet.srv,
    t.vps.eth0,
    t.srv.eth0,
    ...t.wans.flatMap((w) => [w.router, w.access, w.transit, w.inet]),
  ];
  for (const family of ["v4", "v6"] as const) {
    const addresses = ends.map((e) => e[family]);
    assert.equal(new Set(addresses).size, addresses.length, `${family} addresses are unique`);
  }
  const names = ends.map((e) => `${e.host}/${e.ifname}`);
  assert.equal(new Set(names).size, names.length, "interface names are unique per host");
});

Deno.test("CGNAT per WAN, and plans that cannot be built are refused", () => {
  const t = describeWanTopology({ nat: [true, false, true] });
  assert.deepEqual(t.wans.map((w) => w.nat), [true, false, true]);
  assert.throws(() => describeWanTopology({ nat: [true] }), /nat has 1 entries for 3 links/);
  assert.throws(() => describeWanTopology({ links: [] }), /want 1-8 links, got 0/);
  assert.throws(
    () => describeWanTopology({ links: [bothWays({ delayMs: -1 })] }),
    /links\[0\].down.delayMs/,
  );
});
