/**
 * `bond speedtest LINK` on the three-WAN lab (profile A: 40/20/10 Mbit/s at 10/30/50 ms one-way,
 * lab/topology_wan.ts, behind CGNAT): each link measured alone, past the tunnel, against the
 * VPS's link responder, within 10% of what iperf3 measures over the same link right before (and
 * never above what its emulated rate lets TCP carry); the link responder
 * refuses strangers without a grant and a grant used once; `--set wan2` writes wan2's rates into
 * a commented file and keeps every comment. Then the bonded test: over the three links (its
 * figure printed beside their sum: how much of it one TCP flow gets is the bonding layer's
 * business), after a reload leaves wan1 alone (printed), and with a router started with wan1
 * alone: within 10% of what iperf3 measures through the tunnel right before (never above what the
 * tunnel lets TCP carry over wan1). Each comparison takes the best of up to five runs of either
 * side. Needs root.
 *
 * The reference: the WAN emulator's rates count IP bytes, headers included (lab/wan/README.md).
 * The underlay MTU is 1500 and Linux TCP uses timestamps, so each 1500-byte packet carries 1448
 * payload bytes: the most TCP can move is rate × 1448/1500 (38.6, 19.3 and 9.65 Mbit/s). The
 * speed test counts payload bytes from the first to the last one received, in each direction.
 * Through the tunnel (MTU 1420): 1368 payload bytes in a 1420-byte inner packet, which travels as
 * 1420 + 32 (WireGuard header and tag) + 8 (UDP) + 20 (IP) = 1480 bytes.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { statusJson } from "./status_json.ts";
import { pingUntilUp } from "./traffic.ts";
import { buildWanTopology } from "../../lab/topology_wan.ts";
import { BOND_TUNNEL, startBondPair, wanLinks } from "../../lab/bond_pair.ts";
import { reloadRouterWith } from "./bonded_lab.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import { iperfTcp } from "../../lab/iperf.ts";
import { PROFILE_A } from "../../lab/wan/profiles.ts";

const ignore = !canCreateNamespaces();
/** TCP payload per 1500-byte IP packet (1500 − 20 IP − 20 TCP − 12 timestamp option). */
const GOODPUT = 1448 / 1500;
/** TCP payload per tunnel datagram on the underlay (see the file comment). */
const TUNNEL_GOODPUT = 1368 / 1480;
const TOLERANCE = 0.10;
const SECONDS = 3;
const LINK_PORT = 65002;
/**
 * Speed test and yardstick pairs per check at most (see the yardstick's comment). Three were too
 * few in noisy spells of the host: twice in six CI runs wan1's yardstick read 13-31 Mbit/s of
 * 38.6 over its three runs, and the best of three on each side differed by 12-20 %.
 */
const ATTEMPTS = 5;

interface Rates {
  down: number;
  up: number;
  iperfDown: number;
  iperfUp: number;
}

/** Raises each figure of `best` to the run's where the run's is higher. */
function keepBest(best: Rates, run: Rates): void {
  best.down = Math.max(best.down, run.down);
  best.up = Math.max(best.up, run.up);
  best.iperfDown = Math.max(best.iperfDown, run.iperfDown);
  best.iperfUp = Math.max(best.iperfUp, run.iperfUp);
}

Deno.test({
  name:
    "speedtest per link over three emulated WANs: each within 10% of its rate; grants guard the link responder; --set keeps comments",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("lst");
    const wanLab = await buildWanTopology(lab, { links: PROFILE_A.links, nat: true });
    const topo = wanLab.topology;
    const h = topo.hosts;
    let pair = await startBondPair(lab, topo, { links: wanLinks(topo.wans) });
    try {
      await pingUntilUp(lab, h.lan, topo.srv.eth0.v4, 15_000);
      const vpsStatus = await statusJson(lab, h.vps, ["-config", pair.vps.configPath]);
      assert.ok(
        vpsStatus.speedtest.listen.includes(`${BOND_TUNNEL.vps.v4}:65001`) &&
          vpsStatus.speedtest.listen.some((l) => l.endsWith(`:${LINK_PORT}`)),
        `speedtest.listen: ${vpsStatus.speedtest.listen.join(", ")}`,
      );

      // --set wan2 on a file with comments: only wan2's two rates may change.
      const original = await Deno.readTextFile(pair.router.configPath);
      const commented = "# router of the link speed test lab\n" +
        original
          .replace(/^links:$/m, "links:   # one per WAN")
          .replace(/^( {2}- name: wan2)$/m, "$1   # the 20 Mbit/s one")
          .replace(/^( {4}down_mbps: 20)$/m, "$1   # seed, measured below") +
        "# end of file\n";
      assert.notEqual(commented, original);
      await Deno.writeTextFile(pair.router.configPath, commented);

      const figures: string[] = [];
      let wan2Written = { down: NaN, up: NaN };
      const results = new Map<string, Rates>();
      const within = (mbps: number, reference: number) =>
        Math.abs(mbps - reference) <= reference * TOLERANCE;
      for (const [i, wan] of topo.wans.entries()) {
        const rate = PROFILE_A.links[i];
        const nominal = { down: rate.down!.rateMbps! * GOODPUT, up: rate.up!.rateMbps! * GOODPUT };
        const args = ["speedtest", wan.name, "--seconds", String(SECONDS), "--json"];
        if (wan.name === "wan2") args.push("--set", "wan2");
        // The yardstick is iperf3 over the same WAN (a socket bound to its address leaves
        // through it) right before: on the shared 2-vCPU host the emulated links carry less
        // than their nominal rate at times (wan1: 29-38 Mbit/s of 38.6 in 3-s runs, with old
        // and new code alike). A pair off by more than the tolerance is measured again, up to
        // five times, and each figure's best run counts: the host's noise only ever lowers a
        // rate (the check against the nominal rate catches a figure too high), while an error
        // of the speed test itself shows in its best run too.
        const yardstick = {
          server: h.vps,
          client: h.router,
          address: topo.vps.eth0.v4,
          seconds: SECONDS,
          bind: wan.router.v4,
        };
        const best: Rates = { down: 0, up: 0, iperfDown: 0, iperfUp: 0 };
        results.set(wan.name, best);
        for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
          const iperfUp = (await iperfTcp(lab, yardstick)).gbps * 1000;
          const iperfDown = (await iperfTcp(lab, { ...yardstick, reverse: true })).gbps * 1000;
          const r = await bondCli(
            lab,
            h.router,
            [...args, "-config", pair.router.configPath],
            60_000,
          );
          assert.equal(
            r.code,
            0,
            `speedtest ${wan.name}: ${r.stderr}\n--- vps ---\n${pair.vps.log()}`,
          );
          const out = JSON.parse(r.stdout);
          assert.equal(out.mode, "link");
          assert.equal(out.link, wan.name);
          assert.equal(out.server, `${topo.vps.eth0.v4}:${LINK_PORT}`);
          figures.push(
            `${wan.name}: download ${out.download.mbps.toFixed(2)} Mbit/s (iperf3 ${
              iperfDown.toFixed(2)
            }, nominal ${nominal.down.toFixed(2)}), upload ${out.upload.mbps.toFixed(2)} ` +
              `(iperf3 ${iperfUp.toFixed(2)}, nominal ${nominal.up.toFixed(2)})` +
              (attempt > 1 ? ", measured again" : ""),
          );
          keepBest(best, { down: out.download.mbps, up: out.upload.mbps, iperfDown, iperfUp });
          if (wan.name === "wan2") {
            assert.match(r.stderr, /wrote links "wan2" down_mbps\/up_mbps/);
            // Each run writes its own figures: the file holds the last run's, not the best.
            wan2Written = { down: out.download.mbps, up: out.upload.mbps };
          }
          if (within(best.down, best.iperfDown) && within(best.up, best.iperfUp)) break;
        }
      }
      console.log(`link speed tests, ${SECONDS} s per phase:\n  ${figures.join("\n  ")}`);
      for (const [i, wan] of topo.wans.entries()) {
        const got = results.get(wan.name)!;
        const rate = PROFILE_A.links[i];
        for (
          const [what, mbps, iperf, nominal] of [
            ["download", got.down, got.iperfDown, rate.down!.rateMbps! * GOODPUT],
            ["upload", got.up, got.iperfUp, rate.up!.rateMbps! * GOODPUT],
          ] as const
        ) {
          assert.ok(
            within(mbps, iperf),
            `${wan.name} ${what}: ${mbps.toFixed(2)} Mbit/s, iperf3 ${iperf.toFixed(2)} ± 10%`,
          );
          assert.ok(
            mbps <= nominal * (1 + TOLERANCE),
            `${wan.name} ${what}: ${mbps.toFixed(2)} Mbit/s, above the link's ${
              nominal.toFixed(2)
            }`,
          );
        }
      }

      // The file after --set wan2: every comment and every other byte as before.
      const wan2 = wan2Written;
      const after = await Deno.readTextFile(pair.router.configPath);
      const down = /^ {4}down_mbps: (\S+) {3}# seed, measured below$/m.exec(after)?.[1];
      const up = /^ {4}up_mbps: (\S+)$/m.exec(after.split("- name: wan2")[1] ?? "")?.[1];
      assert.ok(down && up, `wan2's rates with their comment:\n${after}`);
      assert.ok(Math.abs(Number(down) - wan2.down) <= 0.05, `down_mbps ${down} vs ${wan2.down}`);
      assert.ok(Math.abs(Number(up) - wan2.up) <= 0.05, `up_mbps ${up} vs ${wan2.up}`);
      const expected = commented
        .replace(/^ {4}down_mbps: 20 {3}#/m, `    down_mbps: ${down}   #`)
        .replace(/^ {4}up_mbps: 20$/m, `    up_mbps: ${up}`);
      assert.equal(after, expected, "only wan2's two rates changed");
      const check = await bondCli(lab, h.router, ["check", "-config", pair.router.configPath]);
      assert.equal(check.code, 0, check.stderr);

      // Unknown link: an error listing the links.
      const unknown = await bondCli(lab, h.router, [
        "speedtest",
        "lte",
        "-config",
        pair.router.configPath,
      ]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no link "lte" in .* \(links: wan1, wan2, wan3\)/);

      // --- the link responder from the internet (srv): no grant, then a grant used twice ---
      const vpsPublic = topo.vps.eth0.v4;
      const linkRequest = (line: string) =>
        lab.exec(h.srv, ["socat", "-t", "5", "-T", "5", "-", `TCP:${vpsPublic}:${LINK_PORT}`], {
          stdin: line + "\n",
          timeoutMs: 10_000,
        });
      const refused = /^\{"error":"no valid grant: ask for a grant through the tunnel first"\}$/;
      const none = await linkRequest('{"test":"download","seconds":1}');
      assert.match(none.stdout.trim(), refused, none.stderr);
      // A grant asked for through the tunnel (from the router: only peers reach port 65001).
      const grantLine = await lab.run(
        h.router,
        ["socat", "-t", "5", "-T", "5", "-", `TCP:${BOND_TUNNEL.vps.v4}:65001`],
        { stdin: '{"grant":"link"}\n', timeoutMs: 10_000 },
      );
      const grant = JSON.parse(grantLine);
      assert.equal(grant.port, LINK_PORT);
      assert.match(grant.token, /^[0-9a-f]{32}$/);
      // An upload of nothing: accepted, answered with its (empty) receipt.
      const upload = `{"test":"upload","seconds":1,"token":"${grant.token}"}`;
      const first = await linkRequest(upload);
      assert.match(first.stdout.trim(), /^\{"bytes":0,"ms":0\}$/, first.stderr);
      const again = await linkRequest(upload);
      assert.match(again.stdout.trim(), refused, "a used grant is refused");
      await waitFor(
        () => /link responder refused a connection: no valid grant/.test(pair.vps.log()),
        {
          timeoutMs: 2000,
          what: "the refusal in the VPS's log",
        },
      );

      // --- the bonded test: over all three links, then over wan1 alone ---
      const bonded = async () => {
        const r = await bondCli(lab, h.router, [
          "speedtest",
          "--seconds",
          String(SECONDS),
          "--json",
          "-config",
          pair.router.configPath,
        ], 60_000);
        assert.equal(r.code, 0, `bonded speedtest: ${r.stderr}`);
        // (`pair` is read at each call: the last part runs on a new pair.)
        const out = JSON.parse(r.stdout);
        assert.equal(out.mode, "bonded");
        return { down: out.download.mbps as number, up: out.upload.mbps as number };
      };
      const all = await bonded();
      const sum = PROFILE_A.links.reduce((a, l) => a + l.up!.rateMbps!, 0);
      console.log(
        `bonded speed test over wan1+wan2+wan3 (sum ${sum} Mbit/s, one TCP flow): download ` +
          `${all.down.toFixed(1)}, upload ${all.up.toFixed(1)} Mbit/s`,
      );
      assert.ok(all.down > 0 && all.up > 0);
      const reloaded = await reloadRouterWith(lab, h.router, pair, {
        links: wanLinks(topo.wans).slice(0, 1),
      });
      assert.match(reloaded, /links: removed wan2/);
      // The VPS's probes find the removed paths down within a few hundred ms.
      await new Promise((r) => setTimeout(r, 1500));
      const reduced = await bonded();
      assert.ok(reduced.down > 0 && reduced.up > 0);
      const reference = PROFILE_A.links[0].up!.rateMbps! * TUNNEL_GOODPUT;
      // Printed only: after the reload wan1 is a bonded path whose pacing starts from the rate
      // estimate it had while sharing the load, and climbs back within seconds (issue 4).
      console.log(
        `bonded speed test over wan1 after a reload removed the others: download ` +
          `${reduced.down.toFixed(2)}, upload ${reduced.up.toFixed(2)} Mbit/s ` +
          `(reference ${reference.toFixed(2)})`,
      );

      // The speed test's own accuracy: a router started with wan1 alone measures what the
      // tunnel over it carries.
      const codes = [await pair.router.stop(), await pair.vps.stop()];
      assert.deepEqual(codes, [0, 0], `router:\n${pair.router.log()}\nvps:\n${pair.vps.log()}`);
      pair = await startBondPair(lab, topo, { links: wanLinks(topo.wans).slice(0, 1) });
      await pingUntilUp(lab, h.lan, topo.srv.eth0.v4, 15_000);
      // The yardstick: iperf3 through the same tunnel right before (nominal: `reference`).
      const tunnel = {
        server: h.vps,
        client: h.router,
        address: BOND_TUNNEL.vps.v4,
        seconds: SECONDS,
      };
      const one: Rates = { down: 0, up: 0, iperfDown: 0, iperfUp: 0 };
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const iperfUp = (await iperfTcp(lab, tunnel)).gbps * 1000;
        const iperfDown = (await iperfTcp(lab, { ...tunnel, reverse: true })).gbps * 1000;
        const run = { ...await bonded(), iperfDown, iperfUp };
        keepBest(one, run);
        console.log(
          `bonded speed test, router with wan1 alone: download ${run.down.toFixed(2)} (iperf3 ${
            iperfDown.toFixed(2)
          }), upload ${run.up.toFixed(2)} (iperf3 ${iperfUp.toFixed(2)}) Mbit/s, nominal ${
            reference.toFixed(2)
          }${attempt > 1 ? ", measured again" : ""}`,
        );
        if (within(one.down, one.iperfDown) && within(one.up, one.iperfUp)) break;
      }
      for (
        const [what, mbps, iperf] of [
          ["download", one.down, one.iperfDown],
          ["upload", one.up, one.iperfUp],
        ] as const
      ) {
        assert.ok(
          within(mbps, iperf),
          `bonded ${what} over wan1: ${mbps.toFixed(2)} Mbit/s, iperf3 ${iperf.toFixed(2)} ± 10%`,
        );
        assert.ok(mbps <= reference * (1 + TOLERANCE), `bonded ${what} above the tunnel's rate`);
      }
    } finally {
      const codes = [await pair.router.stop(), await pair.vps.stop()];
      assert.deepEqual(codes, [0, 0], `router:\n${pair.router.log()}\nvps:\n${pair.vps.log()}`);
    }
  },
});
