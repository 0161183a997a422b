/**
 * Operations against a running pair in the lab: `bond status` (text and JSON) through each
 * daemon's control socket, the metrics page scraped and parsed, a bonded speed test through the
 * tunnel, reloads (a bad file keeps the old configuration and the traffic; SIGHUP applies a new
 * log level; a metrics listener is added live; peer changes are reported as needing a restart),
 * and after the stop: sockets removed and `bond status` exiting 1. Needs root.
 */
import assert from "node:assert/strict";
import { statusJson } from "./status_json.ts";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { assertTransfer, ping, pingUntilUp } from "./traffic.ts";
import { buildTopology } from "../../lab/topology.ts";
import { BOND_TUNNEL, bondPairConfigs } from "../../lab/bond_pair.ts";
import { type BondNode, startBond } from "../../lab/bond_node.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import { withOperations } from "../../lab/operations_config.ts";
import { parseExposition } from "../../src/control/test_exposition.ts";

const ignore = !canCreateNamespaces();

async function scrape(lab: Lab, host: string, address: string) {
  const text = await lab.run(host, ["curl", "-sf", "--max-time", "5", `http://${address}/metrics`]);
  return parseExposition(text);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "operations: status, metrics, bonded speedtest and reloads against a running pair; status exits 1 once stopped",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("ops");
    const topo = await buildTopology(lab);
    const h = topo.hosts;
    const configs = bondPairConfigs(topo);
    const routerSocket = `${lab.tmpDir}/router.sock`;
    const vpsSocket = `${lab.tmpDir}/vps.sock`;
    const routerText = withOperations(configs.routerConfig, {
      controlSocket: routerSocket,
      metricsListen: "127.0.0.1:9586",
    });
    const vpsText = withOperations(configs.vpsConfig, { controlSocket: vpsSocket });
    const vps = await startBond(lab, h.vps, vpsText);
    let router: BondNode | undefined;
    try {
      router = await startBond(lab, h.router, routerText);
      await pingUntilUp(lab, h.lan, topo.srv.eth0.v4, 10_000);
      const crypto = /crypto=(\S+)/.exec(router.log())?.[1];

      // --- status, for people (also spelt bond -status) ---
      const text = await bondCli(lab, h.router, ["-status", "-socket", routerSocket]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        /^bond \S+, router, bnd0 \(10\.77\.0\.2\/24, fd77::2\/64, mtu 1420\)/,
      );
      assert.match(text.stdout, /^tunnel {5}up, handshake \d+(ms|s) ago$/m);
      assert.match(text.stdout, new RegExp(`^crypto {5}${crypto}$`, "m"));
      assert.match(text.stdout, /^scheduler {2}aggregate$/m);
      assert.match(text.stdout, /^metrics {4}http:\/\/127\.0\.0\.1:9586\/metrics$/m);
      assert.match(
        text.stdout,
        new RegExp(
          `^edge +${topo.vps.eth0.v4}:${BOND_TUNNEL.listenPort} +\\S+ ago +established `,
          "m",
        ),
      );
      assert.match(text.stdout, /^default +configured +- +- +1 /m);

      // --- status, for machines ---
      const r = await statusJson(lab, h.router, ["-socket", routerSocket]);
      assert.equal(r.role, "router");
      assert.equal(r.tunnel.up, true);
      assert.equal(r.crypto.backend, crypto);
      assert.equal(r.peers[0].name, "edge");
      assert.ok(r.peers[0].rx_bytes > 0 && r.peers[0].tx_bytes > 0, JSON.stringify(r.peers[0]));
      assert.deepEqual(r.links.map((l) => [l.name, l.state]), [["default", "configured"]]);
      const v = await statusJson(lab, h.vps, ["-socket", vpsSocket]);
      assert.equal(v.role, "vps");
      assert.equal(v.peers[0].name, "home");
      assert.equal(v.peers[0].endpoint?.split(":")[0], topo.router.wan.v4);
      assert.ok(
        v.speedtest.listen.includes(`${BOND_TUNNEL.vps.v4}:65001`),
        v.speedtest.listen.join(),
      );
      // The link responder (per-link tests, grant holders only) on the public side.
      assert.ok(v.speedtest.listen.includes("[::]:65002"), v.speedtest.listen.join());

      // --- metrics ---
      const m = await scrape(lab, h.router, "127.0.0.1:9586");
      assert.equal(m.get("bond_tunnel_up")?.samples[0].value, 1);
      assert.equal(m.get("bond_build_info")?.samples[0].labels.role, "router");
      const rx = m.get("bond_peer_receive_bytes_total")?.samples.find((s) =>
        s.labels.peer === "edge"
      );
      assert.ok(rx && rx.value > 0, "received bytes of peer edge");

      // --- bonded speed test through the tunnel (an unemulated veth: figures only) ---
      const st = await bondCli(
        lab,
        h.router,
        ["speedtest", "--seconds", "2", "--json", "-socket", routerSocket],
        60_000,
      );
      assert.equal(st.code, 0, `speedtest: ${st.stderr}\n--- vps ---\n${vps.log()}`);
      const result = JSON.parse(st.stdout);
      assert.equal(result.mode, "bonded");
      assert.equal(result.server, `${BOND_TUNNEL.vps.v4}:65001`);
      assert.ok(result.download.mbps > 0 && result.download.bytes > 0, st.stdout);
      assert.ok(result.upload.mbps > 0 && result.upload.bytes > 0, st.stdout);
      console.log(
        `bonded speedtest over the lab's veth tunnel: download ${
          result.download.mbps.toFixed(0)
        } ` +
          `Mbit/s, upload ${result.upload.mbps.toFixed(0)} Mbit/s`,
      );

      // --- a bad file is rejected and the old configuration keeps running ---
      await Deno.writeTextFile(router.configPath, routerText + "log:\n  level: loud\n");
      const bad = await bondCli(lab, h.router, ["reload", "-socket", routerSocket]);
      assert.equal(bad.code, 1, bad.stdout);
      assert.match(bad.stderr, /rejected; the running one is unchanged/);
      assert.match(
        bad.stderr,
        /^log\.level: want one of error \| warn \| info \| debug, got "loud"$/m,
      );
      assert.match(router.log(), /WARN +control: reload: log\.level: want one of/);
      await ping(lab, h.lan, topo.srv.eth0.v4);
      await assertTransfer(lab, h.lan, h.srv, topo.srv.eth0.v4, 1 << 20);
      const afterBad = await statusJson(lab, h.router, ["-socket", routerSocket]);
      assert.equal(afterBad.reload.result, "rejected");
      assert.equal(afterBad.log_level, "info");
      assert.equal(afterBad.tunnel.up, true);

      // --- SIGHUP applies a new log level ---
      await Deno.writeTextFile(router.configPath, routerText + "log:\n  level: debug\n");
      router.process.kill("SIGHUP");
      await waitFor(
        () => /configuration reloaded applied="log\.level: info -> debug"/.test(router!.log()),
        {
          timeoutMs: 5000,
          what: "reload after SIGHUP",
        },
      );
      assert.equal((await statusJson(lab, h.router, ["-socket", routerSocket])).log_level, "debug");

      // --- bond reload: a peer change needs a restart; it is said, not pretended ---
      await Deno.writeTextFile(
        router.configPath,
        routerText.replace("persistent_keepalive: 25", "persistent_keepalive: 5") +
          "log:\n  level: debug\n",
      );
      const restart = await bondCli(lab, h.router, ["reload", "-socket", routerSocket]);
      assert.equal(restart.code, 0, restart.stderr);
      assert.match(restart.stdout, /^needs restart: peers\[0\]\.persistent_keepalive$/m);

      // --- a metrics listener added by reload serves at once ---
      await Deno.writeTextFile(
        vps.configPath,
        withOperations(configs.vpsConfig, {
          controlSocket: vpsSocket,
          metricsListen: "[::1]:9587",
        }),
      );
      const added = await bondCli(lab, h.vps, ["reload", "-socket", vpsSocket]);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /^applied: metrics\.listen: off -> \[::1\]:9587$/m);
      const vm = await scrape(lab, h.vps, "[::1]:9587");
      assert.equal(vm.get("bond_build_info")?.samples[0].labels.role, "vps");
      assert.equal(vm.get("bond_config_last_reload_successful")?.samples[0].value, 1);
    } finally {
      const codes = [await router?.stop(), await vps.stop()];
      assert.deepEqual(codes, [0, 0], `router:\n${router?.log()}\nvps:\n${vps.log()}`);
    }
    // Debug lines after the SIGHUP show the new level really took effect.
    assert.match(router.log(), /^DEBUG router: undone /m);
    assert.equal(await exists(routerSocket), false, "router control socket left behind");
    assert.equal(await exists(vpsSocket), false, "VPS control socket left behind");
    const gone = await bondCli(lab, h.router, ["status", "-socket", routerSocket]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no bond daemon is running for .*router\.sock/);
    await assertNothingLeft(lab, h.router, BOND_TUNNEL.interfaceName);
    await assertNothingLeft(lab, h.vps, BOND_TUNNEL.interfaceName);
  },
});
