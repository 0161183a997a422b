/**
 * bond on both ends (router with routing.default_route, VPS with masquerade): the LAN and the
 * router itself reach the internet through the tunnel and appear from the VPS's public
 * address, IPv4 and IPv6, while the tunnel's own UDP keeps using the underlay's default route,
 * which stays untouched. After SIGTERM nothing of ours remains on either host. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { buildTopology } from "../../lab/topology.ts";
import { BOND_TUNNEL, startBondPair } from "../../lab/bond_pair.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { stopPair } from "./bonded_lab.ts";
import { assertTransfer, peerAddressSeenBy, ping, pingUntilUp } from "./traffic.ts";

const ignore = !canCreateNamespaces();

Deno.test({
  name:
    "full tunnel: LAN and router reach srv from the VPS's public IPv4 and IPv6, underlay route untouched, clean stop",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("tun");
    const topo = await buildTopology(lab);
    const h = topo.hosts;
    const mainBefore = await lab.ip(h.router, ["route", "show", "default"]);
    const pair = await startBondPair(lab, topo);
    try {
      await pingUntilUp(lab, h.lan, topo.srv.eth0.v4, 10_000);
      await ping(lab, h.lan, topo.srv.eth0.v6);
      await ping(lab, h.router, topo.srv.eth0.v4);
      await ping(lab, h.vps, BOND_TUNNEL.router.v6);
      for (const family of ["v4", "v6"] as const) {
        const srv = topo.srv.eth0[family];
        assert.equal(await peerAddressSeenBy(lab, h.srv, srv, h.lan), topo.vps.eth0[family]);
        assert.equal(await peerAddressSeenBy(lab, h.srv, srv, h.router), topo.vps.eth0[family]);
      }
      // The LAN's traffic really is inside the tunnel: the router's route to srv is bnd0.
      const routeToSrv = await lab.ip(h.router, ["route", "get", topo.srv.eth0.v4]);
      assert.match(routeToSrv, /dev bnd0/);
      // ...while the main table's default route (the underlay) is what it was.
      assert.equal(await lab.ip(h.router, ["route", "show", "default"]), mainBefore);
      await assertTransfer(lab, h.lan, h.srv, topo.srv.eth0.v4, 8 << 20);
    } finally {
      await stopPair(pair);
    }
    await assertNothingLeft(lab, h.router, BOND_TUNNEL.interfaceName);
    await assertNothingLeft(lab, h.vps, BOND_TUNNEL.interfaceName);
  },
});
