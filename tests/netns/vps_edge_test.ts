/**
 * The VPS edge with one VPS, two bond routers ("home", "office") and a stock wireguard-go client
 * ("phone") on one port: every LAN appears on the internet from the VPS's public IPv4 and IPv6;
 * `srv` reaches TCP and UDP services on home's LAN through the VPS's public addresses and
 * forwarded ports, forwards added and removed live by `bond reload`; the peers cannot reach one
 * another's networks until `reach` allows one direction; reserved ports and duplicates are
 * refused with a clear message by `bond check` and by reload; after stop our table is gone and
 * the host's other tables are byte-identical. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { peerAddressSeenBy, pingUntilUp } from "./traffic.ts";
import { buildEdgeTopology } from "../../lab/edge_topology.ts";
import {
  EDGE_TUNNEL,
  edgeRouterConfig,
  edgeVpsConfig,
  freshEdgeKeys,
} from "../../lab/edge_configs.ts";
import { askPeerAddress, pingAnswered, startPeerEchoServers } from "../../lab/edge_services.ts";
import { type BondNode, startBond } from "../../lab/bond_node.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import { startWireguardGo, wgGenKey, wgPubKey, type WireguardGo } from "../../lab/wg_reference.ts";
import type { SpawnedProcess } from "./harness/command.ts";

const ignore = !canCreateNamespaces();

/** A table of "the host's own firewall" that must come through our start and stop untouched. */
const HOST_TABLE = `table inet hostfw {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 22 accept
  }
}
`;

const LAN_TCP = 80;
const LAN_UDP = 5353;

Deno.test({
  name:
    "vps edge: egress from the public IPs, live TCP/UDP forwards v4+v6, isolation of two routers and a wireguard-go phone, refusals, clean stop",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("edge");
    const topo = await buildEdgeTopology(lab);
    const h = { ...topo.hosts, ...topo.edgeHosts };
    await lab.run(h.vps, ["nft", "-f", "-"], { stdin: HOST_TABLE });
    const rulesetBefore = await lab.run(h.vps, ["nft", "list", "ruleset"]);

    const phonePriv = await wgGenKey();
    const keys = freshEdgeKeys(await wgPubKey(phonePriv));
    const socket = `${lab.tmpDir}/vps.sock`;
    const vpsPublic = topo.vps.eth0;
    const lanHost = topo.lan.eth0;
    const homeForwards = [
      { proto: "tcp" as const, port: 8080, to: `${lanHost.v4}:${LAN_TCP}` },
      { proto: "tcp" as const, port: 8080, to: `[${lanHost.v6}]:${LAN_TCP}` },
      { proto: "udp" as const, port: 5353, to: `${lanHost.v4}:${LAN_UDP}` },
      { proto: "udp" as const, port: 5353, to: `[${lanHost.v6}]:${LAN_UDP}` },
    ];
    const vpsText = (peers: Parameters<typeof edgeVpsConfig>[3]) =>
      edgeVpsConfig(topo, keys, socket, peers);

    // bond check refuses a reserved port and a duplicate before anything runs.
    const checkFile = `${lab.tmpDir}/check.yaml`;
    await Deno.writeTextFile(
      checkFile,
      vpsText({
        home: { forwards: [{ proto: "udp", port: 65001, to: `${lanHost.v4}:53` }] },
        office: { forwards: [{ proto: "udp", port: 65001, to: `${topo.lan2.eth0.v4}:53` }] },
      }),
    );
    let check = await bondCli(lab, h.vps, ["check", "-config", checkFile]);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.match(check.stdout + check.stderr, /65000-65535 are reserved for the VPS itself/);
    await Deno.writeTextFile(
      checkFile,
      vpsText({
        home: { forwards: homeForwards },
        office: { forwards: [{ proto: "tcp", port: 8080, to: `${topo.lan2.eth0.v4}:80` }] },
      }),
    );
    check = await bondCli(lab, h.vps, ["check", "-config", checkFile]);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.match(
      check.stdout + check.stderr,
      /tcp\/8080 is already forwarded to peers\[0\] \("home"\)/,
    );

    const services: SpawnedProcess[] = startPeerEchoServers(lab, h.lan, {
      tcp: LAN_TCP,
      udp: LAN_UDP,
    });
    const nodes: BondNode[] = [];
    let phone: WireguardGo | undefined;
    try {
      const vps = await startBond(lab, h.vps, vpsText({ home: { forwards: homeForwards } }));
      nodes.push(vps);
      nodes.push(await startBond(lab, h.router, edgeRouterConfig(topo, keys, "home")));
      nodes.push(await startBond(lab, h.r2, edgeRouterConfig(topo, keys, "office")));
      const phoneIf = `w${lab.id.slice(2)}p`;
      phone = await startWireguardGo(lab, h.phone, {
        ifname: phoneIf,
        privateKey: phonePriv,
        address: [`${EDGE_TUNNEL.phone.v4}/24`],
        mtu: EDGE_TUNNEL.mtu,
        peers: [{
          publicKey: keys.vps.pub,
          endpoint: `${vpsPublic.v4}:${EDGE_TUNNEL.listenPort}`,
          // srv and both LANs through the tunnel: the LANs must be refused by the VPS, not by
          // the phone's own routing.
          allowedIps: [
            "10.77.0.0/24",
            topo.subnets.srv.v4,
            topo.subnets.lan.v4,
            topo.edgeSubnets.lan2.v4,
          ],
          persistentKeepalive: 25,
        }],
      });
      for (const net of [topo.subnets.srv.v4, topo.subnets.lan.v4, topo.edgeSubnets.lan2.v4]) {
        await lab.ip(h.phone, ["route", "add", net, "dev", phoneIf]);
      }

      // --- egress: every peer reaches srv, from the VPS's public addresses ---
      const srv = topo.srv.eth0;
      await pingUntilUp(lab, h.lan, srv.v4, 10_000);
      await pingUntilUp(lab, h.lan2, srv.v4, 10_000);
      await pingUntilUp(lab, h.phone, srv.v4, 10_000);
      for (const client of [h.lan, h.lan2]) {
        for (const family of ["v4", "v6"] as const) {
          assert.equal(await peerAddressSeenBy(lab, h.srv, srv[family], client), vpsPublic[family]);
        }
      }
      assert.equal(await peerAddressSeenBy(lab, h.srv, srv.v4, h.phone), vpsPublic.v4);

      // --- forwards: srv reaches the LAN services via the VPS, seen with its own address ---
      for (const family of ["v4", "v6"] as const) {
        for (const [proto, port] of [["tcp", 8080], ["udp", 5353]] as const) {
          assert.equal(
            await askPeerAddress(lab, h.srv, proto, vpsPublic[family], port),
            srv[family],
            `${proto}/${port} over IPv${family.slice(1)}`,
          );
        }
      }

      // --- isolation: no peer reaches another's networks ---
      const lan2Host = topo.lan2.eth0;
      const blocked: [string, string][] = [
        [h.lan, lan2Host.v4],
        [h.lan, lan2Host.v6],
        [h.lan2, lanHost.v4],
        [h.lan2, lanHost.v6],
        [h.lan, EDGE_TUNNEL.phone.v4],
        [h.phone, lanHost.v4],
        [h.phone, lan2Host.v4],
        [h.phone, EDGE_TUNNEL.router.v4],
      ];
      for (const [from, to] of blocked) {
        assert.equal(await pingAnswered(lab, from, to), false, `${from} reached ${to}`);
      }

      // --- live reload: 8080 goes, 8081 comes, office may now reach home (one way) ---
      const vpsConfig = nodes[0].configPath;
      const moved = [
        { proto: "tcp" as const, port: 8081, to: `${lanHost.v4}:${LAN_TCP}` },
        ...homeForwards.filter((f) => f.proto === "udp"),
      ];
      await Deno.writeTextFile(
        vpsConfig,
        vpsText({ home: { forwards: moved }, office: { reach: ["home"] } }),
      );
      const reload = await bondCli(lab, h.vps, ["reload", "-socket", socket]);
      assert.equal(reload.code, 0, reload.stdout + reload.stderr);
      assert.match(reload.stdout, /peers\[0\]\.forwards: 4 -> 3 entries/);
      assert.equal(await askPeerAddress(lab, h.srv, "tcp", vpsPublic.v4, 8081), srv.v4);
      assert.equal(await askPeerAddress(lab, h.srv, "tcp", vpsPublic.v4, 8080), null);
      assert.equal(await askPeerAddress(lab, h.srv, "tcp", vpsPublic.v6, 8080), null);
      assert.equal(await askPeerAddress(lab, h.srv, "udp", vpsPublic.v4, 5353), srv.v4);
      assert.equal(await pingAnswered(lab, h.lan2, lanHost.v4), true, "office reaches home");
      assert.equal(await pingAnswered(lab, h.lan, lan2Host.v4), false, "home reaches office");
      assert.equal(await pingAnswered(lab, h.phone, lanHost.v4), false, "phone reaches home");

      // --- refused at run time: the running forwards stay ---
      for (
        const [bad, reason] of [
          [
            {
              home: { forwards: [{ proto: "tcp" as const, port: 65500, to: `${lanHost.v4}:80` }] },
            },
            /65000-65535 are reserved for the VPS itself/,
          ],
          [
            {
              home: { forwards: moved },
              office: {
                forwards: [{ proto: "tcp" as const, port: 8081, to: `${lan2Host.v4}:80` }],
              },
            },
            /tcp\/8081 is already forwarded to peers\[0\] \("home"\)/,
          ],
        ] as const
      ) {
        await Deno.writeTextFile(vpsConfig, vpsText(bad));
        const refused = await bondCli(lab, h.vps, ["reload", "-socket", socket]);
        assert.equal(refused.code, 1, refused.stdout + refused.stderr);
        assert.match(refused.stdout + refused.stderr, reason);
      }
      assert.equal(await askPeerAddress(lab, h.srv, "tcp", vpsPublic.v4, 8081), srv.v4);
    } finally {
      await phone?.stop();
      for (const s of services) await s.stop();
      for (const node of nodes.reverse()) {
        const code = await node.stop();
        assert.equal(code, 0, `bond on ${node.host} exited with ${code}:\n${node.log()}`);
      }
    }
    await assertNothingLeft(lab, h.vps, EDGE_TUNNEL.interfaceName);
    assert.equal(await lab.run(h.vps, ["nft", "list", "ruleset"]), rulesetBefore);
  },
});

Deno.test({
  name:
    "vps edge: a routed IPv6 prefix leaves unchanged (no NAT66) and stays closed to unsolicited connections",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("edge6");
    const topo = await buildEdgeTopology(lab);
    const h = topo.hosts;
    const prefix = "2001:db8:100::/56";
    // The provider routes the prefix to the VPS; the router puts home's /64 (the first one) on
    // its LAN, as it would announce it there.
    await lab.addRoute(h.inet, prefix, topo.vps.eth0.v6);
    await lab.addAddress(h.router, topo.router.lan.ifname, "2001:db8:100::1/64");
    await lab.addAddress(h.lan, topo.lan.eth0.ifname, "2001:db8:100::2/64");
    const keys = freshEdgeKeys();
    const socket = `${lab.tmpDir}/vps.sock`;
    const nodes: BondNode[] = [];
    try {
      nodes.push(await startBond(lab, h.vps, edgeVpsConfig(topo, keys, socket, {}, prefix)));
      nodes.push(await startBond(lab, h.router, edgeRouterConfig(topo, keys, "home")));
      const srv = topo.srv.eth0;
      await pingUntilUp(lab, h.lan, srv.v6, 10_000);
      // Routed: srv sees the LAN host's own address; IPv4 is still masqueraded.
      assert.equal(await peerAddressSeenBy(lab, h.srv, srv.v6, h.lan), "2001:db8:100::2");
      assert.equal(await peerAddressSeenBy(lab, h.srv, srv.v4, h.lan), topo.vps.eth0.v4);
      // The tunnel's own ULA addresses are not in the prefix: still NAT66.
      assert.equal(await peerAddressSeenBy(lab, h.srv, srv.v6, h.router), topo.vps.eth0.v6);
      // Nobody outside opens a connection into the routed LAN.
      assert.equal(await pingAnswered(lab, h.srv, "2001:db8:100::2"), false);
    } finally {
      for (const node of nodes.reverse()) {
        const code = await node.stop();
        assert.equal(code, 0, `bond on ${node.host} exited with ${code}:\n${node.log()}`);
      }
    }
    await assertNothingLeft(lab, h.vps, EDGE_TUNNEL.interfaceName);
  },
});
