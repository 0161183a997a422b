/**
 * The TCP split through a link cut (src/mptcp/subflow_failover.ts): the subflows riding the
 * dead path are closed, the connection goes on byte-exact on the others, and when the
 * path is back the VPS announces it again and the connection rejoins it; a second path's
 * return moves its slot to another port. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { tcpTransfer } from "../../lab/transfer.ts";
import { SPLIT_PORT } from "../../src/mptcp/subflow_ports.ts";
import { bondedLab, stopPair, WANS } from "./bonded_lab.ts";
import { splitActive, subflowPorts } from "./split_subflows.ts";

const ignore = !canCreateNamespaces();

Deno.test({
  name:
    "TCP split: a cut link's subflows close, the upload goes on byte-exact on the others; back, the path is announced again and rejoined",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { lab, wanLab, topo, pair } = await bondedLab("tsf");
    await using _ = lab;
    const h = topo.hosts;
    try {
      await splitActive(lab, h.router, pair.router.configPath);
      // Paced so that it lasts through two cuts and returns (about 11 s).
      const upload = tcpTransfer(lab, {
        from: h.lan,
        to: h.srv,
        address: topo.srv.eth0.v4,
        bytes: 20 << 20,
        mbps: 15,
        timeoutMs: 60_000,
      });
      // Settled before the transfer ends: a failure below must not leave it running unseen.
      const done = upload.then((r) => r, (err: Error) => err);
      const ports = (want: number[]) =>
        waitFor(async () => {
          const now = await subflowPorts(lab, h.router);
          return JSON.stringify(now) === JSON.stringify(want) ? now : undefined;
        }, { timeoutMs: 6000, intervalMs: 100, what: `subflows to ports ${want}` });
      const all = WANS.map((_, j) => SPLIT_PORT + j);
      await ports(all);

      // The first link dies: its subflow (the connection's first) closes at once.
      await wanLab.wan("wan1").command(["down"]);
      await ports([SPLIT_PORT + 1, SPLIT_PORT + 2]);
      const closed = /closed the subflows riding a dead path.*path=wan1/;
      assert.ok(
        closed.test(pair.router.log()) || closed.test(pair.vps.log()),
        `no end closed wan1's subflow:\n${pair.router.log()}\n${pair.vps.log()}`,
      );
      // Back: the VPS announces the first path's spare (n = 3 rides path 0 too), the
      // connection joins it.
      await wanLab.wan("wan1").command(["up"]);
      await ports([SPLIT_PORT + 1, SPLIT_PORT + 2, SPLIT_PORT + 3]);
      assert.match(pair.vps.log(), /path back, announced .* path=wan1 ports=65013/);

      // The second link: its slot moves to 65014 (4 mod 3 = path 1); 65011 is withdrawn.
      await wanLab.wan("wan2").command(["down"]);
      await ports([SPLIT_PORT + 2, SPLIT_PORT + 3]);
      await wanLab.wan("wan2").command(["up"]);
      await ports([SPLIT_PORT + 2, SPLIT_PORT + 3, SPLIT_PORT + 4]);
      const endpoints = await lab.run(h.vps, ["ip", "mptcp", "endpoint", "show"]);
      assert.deepEqual(
        [...endpoints.matchAll(/port (\d+)/g)].map((m) => Number(m[1])).sort(),
        [SPLIT_PORT + 2, SPLIT_PORT + 3, SPLIT_PORT + 4],
        endpoints,
      );

      const r = await done;
      if (r instanceof Error) throw r;
      assert.equal(r.received.bytes, 20 << 20);
      assert.equal(r.received.sha256, r.sent.sha256);
    } finally {
      await stopPair(pair);
    }
    assert.equal((await lab.run(h.vps, ["ip", "mptcp", "endpoint", "show"])).trim(), "");
  },
});
