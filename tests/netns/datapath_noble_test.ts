/**
 * The pure-TypeScript AEAD fallback carries the tunnel: with `crypto.backend: noble` forced on
 * both ends, both data-path Workers load noble, and pings and byte-exact TCP transfers cross
 * the full tunnel in both directions. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { buildTopology } from "../../lab/topology.ts";
import { BOND_TUNNEL, startBondPair } from "../../lab/bond_pair.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { stopPair } from "./bonded_lab.ts";
import { assertTransfer, ping, pingUntilUp } from "./traffic.ts";

const ignore = !canCreateNamespaces();

Deno.test({
  name: "with crypto.backend noble forced the tunnel carries pings and byte-exact TCP both ways",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("noble");
    const topo = await buildTopology(lab);
    const h = topo.hosts;
    const pair = await startBondPair(lab, topo, { crypto: "noble" });
    try {
      for (const node of [pair.router, pair.vps]) {
        assert.match(node.log(), /tunnel up .*crypto=noble/, `${node.host} did not use noble`);
      }
      await pingUntilUp(lab, h.lan, topo.srv.eth0.v4, 10_000);
      await ping(lab, h.lan, topo.srv.eth0.v6);
      await ping(lab, h.vps, BOND_TUNNEL.router.v4);
      await assertTransfer(lab, h.lan, h.srv, topo.srv.eth0.v4, 4 << 20);
      await assertTransfer(lab, h.vps, h.router, BOND_TUNNEL.router.v4, 2 << 20);
    } finally {
      await stopPair(pair);
    }
    await assertNothingLeft(lab, h.router, BOND_TUNNEL.interfaceName);
    await assertNothingLeft(lab, h.vps, BOND_TUNNEL.interfaceName);
  },
});
