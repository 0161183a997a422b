/**
 * Shutting down under full load: with iperf3 pushing TCP through the tunnel both ways, SIGTERM
 * makes both bond daemons exit (code 0) within a second, and nothing of theirs is left on
 * either host. The data-path Workers are blocked in FFI calls most of the time: this proves the
 * wake eventfd and the mailbox reach them. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { buildTopology } from "../../lab/topology.ts";
import { BOND_TUNNEL, startBondPair } from "../../lab/bond_pair.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { pingUntilUp } from "./traffic.ts";

const ignore = !canCreateNamespaces();
/** The issue's bound on shutdown under load. */
const EXIT_WITHIN_MS = 1000;
/**
 * Bytes per second through the VPS's tunnel device, both ways, that count as "under load"
 * (200 Mbit/s). Bytes, not packets: with the TUN offloads one packet of the device's count is
 * a super-packet of up to 64 KiB, so a faster tunnel can show fewer packets.
 */
const LOADED_BYTES_PER_SECOND = 25_000_000;

async function tunnelBytes(lab: Lab, host: string): Promise<number> {
  const out = await lab.ip(host, ["-j", "-s", "link", "show", "dev", BOND_TUNNEL.interfaceName]);
  const [link] = JSON.parse(out) as {
    stats64: { rx: { bytes: number }; tx: { bytes: number } };
  }[];
  return link.stats64.rx.bytes + link.stats64.tx.bytes;
}

Deno.test({
  name: "under full load both bond daemons exit within 1 s of SIGTERM and leave nothing behind",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("shut");
    const topo = await buildTopology(lab);
    const h = topo.hosts;
    const pair = await startBondPair(lab, topo, { defaultRoute: false });
    const exits: { host: string; ms: number; code: number }[] = [];
    try {
      await pingUntilUp(lab, h.router, BOND_TUNNEL.vps.v4, 10_000);
      // One server per direction: an iperf3 server runs one test at a time.
      const servers = ["5301", "5302"].map((port) =>
        lab.spawn(h.vps, ["iperf3", "-s", "-B", BOND_TUNNEL.vps.v4, "-p", port])
      );
      await waitFor(async () => {
        const ss = await lab.exec(h.vps, ["ss", "-Hltn", "sport = :5301 or sport = :5302"]);
        return ss.stdout.trim().split("\n").length === 2;
      }, { timeoutMs: 5000, what: "iperf3 servers" });
      // Uploads and downloads at once, longer than the test needs: the daemons stop under them.
      const up = lab.spawn(h.router, [
        "iperf3",
        "-c",
        BOND_TUNNEL.vps.v4,
        "-p",
        "5301",
        "-t",
        "30",
        "-P",
        "2",
      ]);
      const down = lab.spawn(h.router, [
        "iperf3",
        "-c",
        BOND_TUNNEL.vps.v4,
        "-p",
        "5302",
        "-t",
        "30",
        "-P",
        "2",
        "-R",
      ]);
      try {
        await new Promise((r) => setTimeout(r, 2000));
        const before = await tunnelBytes(lab, h.vps);
        const since = performance.now();
        await new Promise((r) => setTimeout(r, 1000));
        const rate = (await tunnelBytes(lab, h.vps) - before) /
          ((performance.now() - since) / 1000);
        assert.ok(
          rate > LOADED_BYTES_PER_SECOND,
          `tunnel not under load: ${(rate * 8e-6).toFixed(0)} Mbit/s both ways`,
        );
        console.log(`load before SIGTERM: ${(rate * 8e-6).toFixed(0)} Mbit/s both ways`);

        const t0 = performance.now();
        pair.router.process.kill("SIGTERM");
        pair.vps.process.kill("SIGTERM");
        const wait = async (host: string, proc: typeof pair.router.process) => {
          const status = await Promise.race([
            proc.status,
            new Promise<null>((r) => setTimeout(() => r(null), 5000)),
          ]);
          exits.push({ host, ms: performance.now() - t0, code: status?.code ?? -1 });
        };
        await Promise.all([wait(h.router, pair.router.process), wait(h.vps, pair.vps.process)]);
      } finally {
        await Promise.all([up.stop(), down.stop(), ...servers.map((s) => s.stop())]);
      }
    } finally {
      // Kills whatever did not exit (the assertions below then report it).
      await pair.stop();
    }
    for (const node of [pair.router, pair.vps]) {
      // A Worker that missed its wake-up would have been terminated after a grace period.
      assert.doesNotMatch(node.log(), /did not stop/, `${node.host}:\n${node.log()}`);
    }
    for (const e of exits) {
      assert.equal(e.code, 0, `${e.host} exited with ${e.code}:\n${pair.router.log()}`);
      assert.ok(e.ms < EXIT_WITHIN_MS, `${e.host} took ${e.ms.toFixed(0)} ms to exit`);
    }
    assert.equal(exits.length, 2);
    console.log(
      `exit after SIGTERM under load: ${
        exits.map((e) => `${e.host} ${e.ms.toFixed(0)} ms`).join(", ")
      }`,
    );
    await assertNothingLeft(lab, h.router, BOND_TUNNEL.interfaceName);
    await assertNothingLeft(lab, h.vps, BOND_TUNNEL.interfaceName);
  },
});
