/**
 * Links changed by `bond reload` on a running router, in the three-WAN lab: while a TCP upload
 * and a download run, a third link is added (it comes up and carries traffic), then the first is
 * removed (it stops carrying traffic, its socket is closed, the VPS finds its path down); both
 * transfers finish byte-exact on the same connections. A link on a device that does not exist
 * is refused with the reason while the rest keeps running, and a scheduler mode change reaches
 * the data path at once. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, type Lab } from "./harness/netns.ts";
import {
  bondedLab,
  linkBytes,
  reloadRouterWith,
  statusUntil,
  stopPair,
  udpBothWays,
} from "./bonded_lab.ts";
import { BOND_TUNNEL, wanLinks } from "../../lab/bond_pair.ts";
import { tcpTransfer } from "../../lab/transfer.ts";
import { statusJson } from "./status_json.ts";
import { assertTransfer } from "./traffic.ts";

const ignore = !canCreateNamespaces();

/** The devices of the UDP sockets the router's bond holds (`ss` shows "0.0.0.0%wan1:port"). */
async function boundDevices(lab: Lab, host: string, pid: number): Promise<string[]> {
  const out = await lab.run(host, ["ss", "-uanpH"]);
  const ours = out.split("\n").filter((l) => l.includes(`pid=${pid},`));
  // Only link sockets are bound to a device (the speedtest client's would be too, but none runs).
  return ours.flatMap((l) => /%([^:\s]+):\d+/.exec(l)?.[1] ?? []).sort();
}

Deno.test({
  name:
    "reload adds and removes links while TCP transfers run both ways: byte-exact, sockets follow, bad links refused, mode switches",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { lab, wanLab, topo, pair } = await bondedLab("lrl", { links: 2 });
    await using _ = lab;
    const h = topo.hosts;
    const links = wanLinks(topo.wans);
    try {
      const pid = (await statusJson(lab, h.router, ["-config", pair.router.configPath])).pid;
      assert.deepEqual(await boundDevices(lab, h.router, pid), ["wan1", "wan2"]);
      // Paced well below what wan2 + wan3 carry, so they finish on those two alone.
      const transfer = { bytes: 12 << 20, mbps: 12, timeoutMs: 40_000 };
      const up = tcpTransfer(lab, {
        from: h.lan,
        to: h.srv,
        address: topo.srv.eth0.v4,
        ...transfer,
      });
      const down = tcpTransfer(lab, {
        from: h.vps,
        to: h.router,
        address: BOND_TUNNEL.router.v4,
        ...transfer,
      });
      // Awaited below; a failure before then must not surface as an unhandled rejection.
      for (const t of [up, down]) t.catch(() => {});
      await new Promise((r) => setTimeout(r, 1000));

      const added = await reloadRouterWith(lab, h.router, pair, { links });
      assert.match(added, /applied: links: added wan3 \(.*%wan3\)/);
      const three = await statusUntil(
        lab,
        h.router,
        pair.router.configPath,
        (d) => d.links.length === 3 && d.links.every((l) => l.state === "up"),
        8_000,
      );
      assert.deepEqual(three.links.map((l) => [l.name, l.state]), [
        ["wan1", "up"],
        ["wan2", "up"],
        ["wan3", "up"],
      ]);
      assert.deepEqual(await boundDevices(lab, h.router, pid), ["wan1", "wan2", "wan3"]);
      const beforeRemoval = await linkBytes(lab, pair, h.router);

      const removed = await reloadRouterWith(lab, h.router, pair, { links: links.slice(1) });
      assert.match(removed, /applied: links: removed wan1/);
      const two = await statusJson(lab, h.router, ["-config", pair.router.configPath]);
      assert.deepEqual(two.links.map((l) => l.name), ["wan2", "wan3"]);
      assert.deepEqual(await boundDevices(lab, h.router, pid), ["wan2", "wan3"]);
      // The VPS's probes on wan1 go unanswered: its path is down there too.
      const vps = await statusUntil(
        lab,
        h.vps,
        pair.vps.configPath,
        (d) => d.peers[0].paths.find((p) => p.link === "wan1")?.state === "down",
        5_000,
      );
      assert.equal(vps.peers[0].paths.find((p) => p.link === "wan1")?.state, "down");

      for (const [what, r] of [["upload", await up], ["download", await down]] as const) {
        assert.equal(r.received.bytes, transfer.bytes, `${what}: ${r.received.bytes} bytes`);
        assert.equal(r.received.sha256, r.sent.sha256, `${what}: content differs`);
      }
      // The added link carries its share each way once wan1 is gone: 25 Mbit/s of UDP is more
      // than wan2 alone carries, whatever the paced transfers left to do (a slow machine may
      // have finished them on wan2).
      await udpBothWays(lab, wanLab, 25);
      const after = await linkBytes(lab, pair, h.router);
      const wan3 = after.get("wan3")!;
      const before3 = beforeRemoval.get("wan3")!;
      assert.ok(
        wan3.tx - before3.tx > 256 << 10,
        `wan3 sent ${wan3.tx - before3.tx} bytes after wan1 left`,
      );
      assert.ok(
        wan3.rx - before3.rx > 256 << 10,
        `wan3 received ${wan3.rx - before3.rx} bytes after wan1 left`,
      );

      // A link on a device that does not exist: refused with the reason, the others run on.
      const bad = await reloadRouterWith(lab, h.router, pair, {
        links: [...links.slice(1), { name: "ghost", device: "ghost0" }],
      });
      assert.match(bad, /links\.ghost: not added: link ghost: .*no such network device/i);
      const still = await statusJson(lab, h.router, ["-config", pair.router.configPath]);
      assert.deepEqual(still.links.map((l) => l.name), ["wan2", "wan3"]);

      // The scheduler mode reaches the data path: in redundant mode every link carries
      // every packet.
      const redundant = await reloadRouterWith(lab, h.router, pair, {
        links: links.slice(1),
        scheduler: "redundant",
      });
      assert.match(redundant, /applied: scheduler\.mode: aggregate -> redundant/);
      const beforeCopies = await linkBytes(lab, pair, h.router);
      await assertTransfer(lab, h.lan, h.srv, topo.srv.eth0.v4, 1 << 20);
      const afterCopies = await linkBytes(lab, pair, h.router);
      for (const w of ["wan2", "wan3"]) {
        const sent = afterCopies.get(w)!.tx - beforeCopies.get(w)!.tx;
        assert.ok(sent > 1 << 20, `${w} sent ${sent} bytes of a 1 MiB upload`);
      }
    } finally {
      await stopPair(pair);
    }
  },
});
