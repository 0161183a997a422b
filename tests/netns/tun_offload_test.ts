/**
 * TUN offloads (TCP segmentation and coalescing at the TUN device, src/offload/) on a real
 * bond-to-bond tunnel: byte-exact TCP both ways over IPv4 and IPv6, and the counters show the kernel handed each
 * sender super-packets (cut into segments by the TX Worker) and each receiver wrote joined
 * runs back as super-packets. With the offload switched off the same transfers pass and the
 * counters stay at zero. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { buildTopology } from "../../lab/topology.ts";
import { BOND_TUNNEL, startBondPair } from "../../lab/bond_pair.ts";
import { OFFLOADS_ENV } from "../../src/datapath/offloads.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { stopPair } from "./bonded_lab.ts";
import { assertTransfer, pingUntilUp } from "./traffic.ts";
import { statusJson } from "./status_json.ts";

const ignore = !canCreateNamespaces();
const BYTES = 24 << 20;

for (const offloads of ["gso,gro,tun", "gso,gro"]) {
  const on = offloads.includes("tun");
  Deno.test({
    name: `TUN offloads ${on ? "on" : "off"}: byte-exact TCP both ways over a bond tunnel` +
      (on ? ", carried as super-packets at both ends" : ", packet by packet"),
    ignore,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create(on ? "tunoff1" : "tunoff0");
      const topo = await buildTopology(lab);
      const h = topo.hosts;
      const pair = await startBondPair(lab, topo, {
        defaultRoute: false,
        env: { [OFFLOADS_ENV]: offloads },
      });
      try {
        await pingUntilUp(lab, h.router, BOND_TUNNEL.vps.v4, 10_000);
        // Router → VPS, then VPS → router: both ends segment and both coalesce.
        await assertTransfer(lab, h.router, h.vps, BOND_TUNNEL.vps.v4, BYTES);
        await assertTransfer(lab, h.vps, h.router, BOND_TUNNEL.router.v4, BYTES);
        const before = await statusJson(lab, h.router, ["-config", pair.router.configPath]);
        // The same over IPv6 inside the tunnel (TCP segmentation and coalescing for IPv6).
        await assertTransfer(lab, h.router, h.vps, BOND_TUNNEL.vps.v6, BYTES);
        await assertTransfer(lab, h.vps, h.router, BOND_TUNNEL.router.v6, BYTES);
        const router = await statusJson(lab, h.router, ["-config", pair.router.configPath]);
        const vps = await statusJson(lab, h.vps, ["-config", pair.vps.configPath]);
        if (on) {
          const v6Reads = router.counters.txTunSuperPackets - before.counters.txTunSuperPackets;
          const v6Writes = router.counters.rxTunSuperPackets - before.counters.rxTunSuperPackets;
          assert.ok(v6Reads > 0 && v6Writes > 0, `IPv6: ${v6Reads} reads, ${v6Writes} writes`);
        }
        const seen = (c: Record<string, number>) =>
          ["txTunSuperPackets", "txTunSegments", "rxTunSuperPackets", "rxTunJoined"].map((n) =>
            `${n}=${c[n]}`
          ).join(" ");
        for (const doc of [router, vps]) {
          assert.deepEqual(doc.offloads, on ? ["gso", "gro", "tun"] : ["gso", "gro"]);
        }
        for (const [name, c] of [["router", router.counters], ["vps", vps.counters]] as const) {
          if (on) {
            // A 24 MiB stream leaves in far fewer reads than segments, and arrives joined.
            assert.ok(c.txTunSuperPackets > 0, `${name}: no super-packet read: ${seen(c)}`);
            assert.ok(c.txTunSegments > 2 * c.txTunSuperPackets, `${name}: ${seen(c)}`);
            assert.ok(c.rxTunSuperPackets > 0, `${name}: no super-packet written: ${seen(c)}`);
            assert.ok(c.rxTunJoined > c.rxTunSuperPackets, `${name}: ${seen(c)}`);
          } else {
            assert.equal(c.txTunSuperPackets + c.rxTunSuperPackets, 0, `${name}: ${seen(c)}`);
          }
          assert.equal(c.txTunOffloadRefused, 0, `${name}: ${seen(c)}`);
          assert.equal(c.rxTunSuperRefused, 0, `${name}: the kernel refused a super-packet`);
          assert.equal(c.tunWriteErrors, 0, `${name}: TUN writes refused`);
        }
      } finally {
        await stopPair(pair);
      }
      await assertNothingLeft(lab, h.router, BOND_TUNNEL.interfaceName);
      await assertNothingLeft(lab, h.vps, BOND_TUNNEL.interfaceName);
    },
  });
}
