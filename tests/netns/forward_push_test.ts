/**
 * The router's own `forwards:` reach the VPS over the control channel and are applied there
 * live: a single-link router (no static forwards on the VPS) pushes a TCP forward to a LAN host,
 * `srv` reaches the host through the VPS's public IPv4 and IPv6; `bond reload` on the router
 * replaces it with another port and the VPS follows without a restart; both sides' status show
 * the state; a router forward into 65000-65535 is refused by `bond check`. A stock WireGuard
 * peer never gets a forward sync. Needs root.
 */
import assert from "node:assert/strict";
import { statusJson } from "./status_json.ts";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { pingUntilUp } from "./traffic.ts";
import { buildEdgeTopology } from "../../lab/edge_topology.ts";
import {
  EDGE_TUNNEL,
  type EdgeForward,
  edgeRouterConfig,
  edgeVpsConfig,
  freshEdgeKeys,
} from "../../lab/edge_configs.ts";
import { withRouterForwards } from "../../lab/edge_router_forwards.ts";
import { withOperations } from "../../lab/operations_config.ts";
import { askPeerAddress, pingAnswered, startPeerEchoServers } from "../../lab/edge_services.ts";
import {
  REFERENCE_TUNNEL,
  referenceIfname,
  startWireguardGo,
  wgGenKey,
  wgPubKey,
} from "../../lab/wg_reference.ts";
import { encodeKey, generatePrivateKey, publicKey } from "../../src/protocol/keys.ts";
import { bondConfigText, type BondNode, startBond } from "../../lab/bond_node.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import type { SpawnedProcess } from "./harness/command.ts";

const ignore = !canCreateNamespaces();
const LAN_TCP = 80;
/** How long a pushed change may take to show on the VPS (it is sent on the next tick). */
const APPLY_TIMEOUT_MS = 15_000;

Deno.test({
  name:
    "forward push: router forwards applied on the VPS over the control channel, changed live by reload, reserved ports refused",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("fwdp");
    const topo = await buildEdgeTopology(lab);
    const h = { ...topo.hosts, ...topo.edgeHosts };
    const keys = freshEdgeKeys();
    const vpsSocket = `${lab.tmpDir}/vps.sock`;
    const routerSocket = `${lab.tmpDir}/router.sock`;
    const lanHost = topo.lan.eth0;
    const vpsPublic = topo.vps.eth0;
    const srv = topo.srv.eth0;
    const routerText = (forwards: EdgeForward[]) =>
      withOperations(withRouterForwards(edgeRouterConfig(topo, keys, "home"), forwards), {
        controlSocket: routerSocket,
      });

    // bond check refuses a router forward on the VPS's own ports before anything runs.
    const checkFile = `${lab.tmpDir}/check.yaml`;
    await Deno.writeTextFile(
      checkFile,
      routerText([{ proto: "tcp", port: 65010, to: `${lanHost.v4}:${LAN_TCP}` }]),
    );
    const check = await bondCli(lab, h.router, ["check", "-config", checkFile]);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.match(check.stdout + check.stderr, /65000-65535 are reserved for the VPS itself/);

    const services: SpawnedProcess[] = startPeerEchoServers(lab, h.lan, {
      tcp: LAN_TCP,
      udp: 5353,
    });
    const nodes: BondNode[] = [];
    try {
      // home has no static forwards on the VPS: whatever srv reaches on it was pushed. office
      // holds tcp/9000 statically, so home's push of the same port is refused.
      const officeForward = { proto: "tcp" as const, port: 9000, to: `${topo.lan2.eth0.v4}:80` };
      nodes.push(
        await startBond(
          lab,
          h.vps,
          edgeVpsConfig(topo, keys, vpsSocket, { office: { forwards: [officeForward] } }),
        ),
      );
      const first: EdgeForward[] = [
        { proto: "tcp", port: 8080, to: `${lanHost.v4}:${LAN_TCP}` },
        { proto: "tcp", port: 8080, to: `[${lanHost.v6}]:${LAN_TCP}` },
        { proto: "tcp", port: 9000, to: `${lanHost.v4}:${LAN_TCP}` },
      ];
      const router = await startBond(lab, h.router, routerText(first));
      nodes.push(router);
      await pingUntilUp(lab, h.lan, srv.v4, 10_000);

      for (const family of ["v4", "v6"] as const) {
        const seen = await waitFor(
          () => askPeerAddress(lab, h.srv, "tcp", vpsPublic[family], 8080, 1000),
          { timeoutMs: APPLY_TIMEOUT_MS, intervalMs: 200, what: `tcp/8080 over IPv${family}` },
        );
        assert.equal(seen, srv[family]);
      }
      const vpsDoc = await statusJson(lab, h.vps, ["-socket", vpsSocket]);
      assert.deepEqual(
        vpsDoc.forwards.map((f) => [f.peer, f.proto, f.port, f.to, f.state]),
        [
          ["home", "tcp", 8080, `${lanHost.v4}:${LAN_TCP}`, "pushed"],
          ["home", "tcp", 8080, `[${lanHost.v6}]:${LAN_TCP}`, "pushed"],
          ["home", "tcp", 9000, `${lanHost.v4}:${LAN_TCP}`, "refused"],
          ["office", "tcp", 9000, `${topo.lan2.eth0.v4}:80`, "static"],
        ],
      );
      assert.match(vpsDoc.forwards[2].reason!, /tcp\/9000 .* already forwarded to peer "office"/);
      const vpsText = await bondCli(lab, h.vps, ["status", "-socket", vpsSocket]);
      assert.match(vpsText.stdout, /^home +tcp +8080 .* pushed$/m);
      assert.match(vpsText.stdout, /^home +tcp +9000 .* refused: .*already forwarded/m);
      // The router hears back which of its forwards the VPS refused, and why.
      const acked = await waitFor(async () => {
        const doc = await statusJson(lab, h.router, ["-socket", routerSocket]);
        return doc.forwards.every((f) => f.state === "acknowledged" || f.state === "refused")
          ? doc
          : undefined;
      }, { timeoutMs: APPLY_TIMEOUT_MS, intervalMs: 200, what: "router forwards acknowledged" });
      assert.deepEqual(acked.forwards.map((f) => [f.port, f.to, f.state]), [
        [8080, `${lanHost.v4}:${LAN_TCP}`, "acknowledged"],
        [8080, `[${lanHost.v6}]:${LAN_TCP}`, "acknowledged"],
        [9000, `${lanHost.v4}:${LAN_TCP}`, "refused"],
      ]);
      assert.match(acked.forwards[2].reason!, /tcp\/9000 .* already forwarded to peer "office"/);
      assert.equal(acked.forwards[0].reason, null);
      const routerStatus = await bondCli(lab, h.router, ["status", "-socket", routerSocket]);
      assert.match(
        routerStatus.stdout,
        /^tcp +9000 +\S+ +refused: .*already forwarded to peer "office"$/m,
      );

      // --- live change on the router: 8080 goes, 8081 comes; the VPS is not touched ---
      await Deno.writeTextFile(
        router.configPath,
        routerText([{ proto: "tcp", port: 8081, to: `${lanHost.v4}:${LAN_TCP}` }]),
      );
      const reload = await bondCli(lab, h.router, ["reload", "-socket", routerSocket]);
      assert.equal(reload.code, 0, reload.stdout + reload.stderr);
      assert.match(reload.stdout, /forwards: 3 -> 1 entries/);
      const moved = await waitFor(
        () => askPeerAddress(lab, h.srv, "tcp", vpsPublic.v4, 8081, 1000),
        { timeoutMs: APPLY_TIMEOUT_MS, intervalMs: 200, what: "tcp/8081 after the reload" },
      );
      assert.equal(moved, srv.v4);
      assert.equal(await askPeerAddress(lab, h.srv, "tcp", vpsPublic.v4, 8080, 1000), null);
      assert.equal(await askPeerAddress(lab, h.srv, "tcp", vpsPublic.v6, 8080, 1000), null);
      const after = await statusJson(lab, h.vps, ["-socket", vpsSocket]);
      assert.deepEqual(after.forwards.map((f) => [f.peer, f.port, f.state]), [
        ["home", 8081, "pushed"],
        ["office", 9000, "static"],
      ]);

      // --- all removed: nothing is forwarded any more ---
      await Deno.writeTextFile(router.configPath, routerText([]));
      const cleared = await bondCli(lab, h.router, ["reload", "-socket", routerSocket]);
      assert.equal(cleared.code, 0, cleared.stdout + cleared.stderr);
      const homeRows = async () =>
        (await statusJson(lab, h.vps, ["-socket", vpsSocket])).forwards.filter((f) =>
          f.peer === "home"
        );
      await waitFor(async () => (await homeRows()).length === 0, {
        timeoutMs: APPLY_TIMEOUT_MS,
        intervalMs: 200,
        what: "home's forwards gone from the VPS",
      });
      assert.equal(await askPeerAddress(lab, h.srv, "tcp", vpsPublic.v4, 8081, 1000), null);
    } finally {
      for (const s of services) await s.stop();
      for (const node of nodes.reverse()) {
        const code = await node.stop();
        assert.equal(code, 0, `bond on ${node.host} exited with ${code}:\n${node.log()}`);
      }
    }
  },
});

Deno.test({
  name:
    "forward push: a single-link router with forwards and a stock wireguard-go peer stays plain WireGuard, no forward sync sent",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("fwds");
    const topo = await buildEdgeTopology(lab);
    const h = topo.hosts;
    const T = REFERENCE_TUNNEL;
    const priv = generatePrivateKey();
    const wgKey = await wgGenKey();
    await startWireguardGo(lab, h.vps, {
      ifname: referenceIfname(lab, "vps"),
      privateKey: wgKey,
      listenPort: T.listenPort,
      address: [`${T.vps.v4}/24`],
      mtu: T.mtu,
      peers: [{ publicKey: encodeKey(publicKey(priv)), allowedIps: [`${T.router.v4}/32`] }],
    });
    const routerSocket = `${lab.tmpDir}/router.sock`;
    const config = withOperations(
      withRouterForwards(
        bondConfigText({
          role: "router",
          privateKey: encodeKey(priv),
          interfaceName: EDGE_TUNNEL.interfaceName,
          addresses: [`${T.router.v4}/24`],
          mtu: T.mtu,
          peers: [{
            name: "stock-vps",
            publicKey: await wgPubKey(wgKey),
            endpoint: `${topo.vps.eth0.v4}:${T.listenPort}`,
            allowedIps: [T.subnet.v4],
            persistentKeepalive: 25,
          }],
          defaultRoute: false,
        }),
        [{ proto: "tcp", port: 8080, to: `${topo.lan.eth0.v4}:${LAN_TCP}` }],
      ),
      { controlSocket: routerSocket },
    );
    const router = await startBond(lab, h.router, config);
    try {
      await pingUntilUp(lab, h.router, T.vps.v4, 15_000);
      // Its hellos go unanswered, so it is taken for stock WireGuard.
      const doc = await waitFor(async () => {
        const d = await statusJson(lab, h.router, ["-socket", routerSocket]);
        return d.links[0].state === "single" ? d : undefined;
      }, { timeoutMs: 15_000, intervalMs: 200, what: "the link taken for plain WireGuard" });
      assert.equal(await pingAnswered(lab, h.router, T.vps.v4), true);
      assert.equal(doc.counters.linkHelloAcksReceived, 0);
      assert.equal(doc.counters.forwardSyncsSent, 0);
      assert.deepEqual(doc.forwards.map((f) => [f.port, f.state]), [[8080, "configured"]]);
    } finally {
      const code = await router.stop();
      assert.equal(code, 0, `router exited with ${code}:\n${router.log()}`);
    }
  },
});
