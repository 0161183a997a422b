/** The small lab topology routes between its hosts in both families. Needs root. */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "../tests/netns/harness/netns.ts";
import { buildTopology, describeTopology } from "./topology.ts";

Deno.test("topology addresses sit in their documented subnets", () => {
  const t = describeTopology();
  assert.equal(t.router.wan.v4, "198.51.100.2");
  assert.equal(t.inet.router.v6, "2001:db8:1::1");
  assert.equal(t.vps.eth0.v4, "203.0.113.10");
  assert.equal(t.vps.eth0.v6, "2001:db8:2::10");
  assert.equal(t.srv.eth0.v4, "192.0.2.10");
  assert.equal(t.lan.eth0.v6, "fd50::2");
  assert.deepEqual(t.subnets.lan, { v4: "192.168.50.0/24", v6: "fd50::/64" });
});

Deno.test({
  name: "topology: router, vps and srv reach each other through inet over IPv4 and IPv6",
  ignore: !canCreateNamespaces(),
  async fn() {
    await using lab = await Lab.create("topo");
    const t = await buildTopology(lab);
    const ping = (host: string, addr: string) =>
      lab.run(host, ["ping", ...(addr.includes(":") ? ["-6"] : []), "-c", "1", "-W", "2", addr]);
    for (const family of ["v4", "v6"] as const) {
      await ping(t.hosts.router, t.srv.eth0[family]);
      await ping(t.hosts.router, t.vps.eth0[family]);
      await ping(t.hosts.vps, t.srv.eth0[family]);
      await ping(t.hosts.lan, t.router.lan[family]);
      // The router's far side answers too: lan's default route points at the router.
      await ping(t.hosts.lan, t.router.wan[family]);
    }
    // inet has no route back to the LAN: only a tunnel brings LAN traffic out.
    const lost = await lab.exec(t.hosts.lan, ["ping", "-c", "1", "-W", "1", t.srv.eth0.v4]);
    assert.notEqual(lost.code, 0);
  },
});
