/**
 * The routed IPv6 prefix end to end: the VPS has `nat.ipv6_prefix`, hands the router its /64
 * over the control channel; the router (single link, `lan.interface`) takes `<prefix>::1/64` on
 * its LAN and sends Router Advertisements. A LAN host with accept_ra and no static address of
 * the prefix forms one by SLAAC, routes through the router (default route learned from the RA,
 * link MTU = tunnel MTU), and srv sees its connections come from that address, not from the
 * VPS's NAT66 one. A Router Solicitation is answered at once. After the router stops: the
 * router's address is gone, the host's default route via it is gone, its address deprecated,
 * forwarding is back as it was and nothing of ours is left. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { peerAddressSeenBy, pingUntilUp } from "./traffic.ts";
import { statusJson } from "./status_json.ts";
import { buildEdgeTopology } from "../../lab/edge_topology.ts";
import {
  EDGE_TUNNEL,
  edgeRouterConfig,
  edgeVpsConfig,
  freshEdgeKeys,
} from "../../lab/edge_configs.ts";
import { type BondNode, startBond } from "../../lab/bond_node.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import { formatIPv6, parseIPv6 } from "../../src/net/ip_address.ts";

const ignore = !canCreateNamespaces();

const PREFIX = "2001:db8:100::/56";
/** home is the VPS's peers[0]: the first /64. */
const HOME_64 = "2001:db8:100::/64";

interface IpAddr {
  local: string;
  prefixlen: number;
  scope: string;
  dynamic?: boolean;
  preferred_life_time?: number;
}

/** The global IPv6 addresses of `ifname` on `host`. */
async function globalAddresses(lab: Lab, host: string, ifname: string): Promise<IpAddr[]> {
  const out = JSON.parse(
    await lab.ip(host, ["-j", "-6", "addr", "show", "dev", ifname, "scope", "global"]),
  ) as { addr_info: IpAddr[] }[];
  // ip prints an empty object for each address its filter left out.
  return out.flatMap((l) => l.addr_info).filter((a) => a.local !== undefined);
}

const HOME_NETWORK = parseIPv6("2001:db8:100::").subarray(0, 8);

/** Whether `address` lies in home's /64 (its first 64 bits are the prefix's). */
function inHome64(address: string): boolean {
  const bytes = parseIPv6(address);
  return HOME_NETWORK.every((b, i) => bytes[i] === b);
}

async function defaultRoutes(lab: Lab, host: string) {
  return JSON.parse(await lab.ip(host, ["-j", "-6", "route", "show", "default"])) as {
    gateway?: string;
    dev: string;
    protocol?: string;
  }[];
}

Deno.test({
  name:
    "lan prefix: the router announces the VPS's routed /64, a LAN host takes it by SLAAC and leaves the VPS from it; gone after stop",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("lanpfx");
    const topo = await buildEdgeTopology(lab);
    const h = topo.hosts;
    const lanIf = topo.lan.eth0.ifname;
    const routerLan = topo.router.lan.ifname;
    await lab.addRoute(h.inet, PREFIX, topo.vps.eth0.v6);
    // The LAN host: no IPv6 default route of its own, router advertisements accepted, no
    // temporary addresses (so the one SLAAC address is the one srv must see).
    await lab.ip(h.lan, ["-6", "route", "del", "default"]);
    await lab.sysctl(h.lan, {
      [`net.ipv6.conf.${lanIf}.accept_ra`]: 2,
      [`net.ipv6.conf.${lanIf}.autoconf`]: 1,
      [`net.ipv6.conf.${lanIf}.use_tempaddr`]: 0,
    });
    assert.deepEqual(
      (await globalAddresses(lab, h.lan, lanIf)).filter((a) => inHome64(a.local)),
      [],
    );
    // Forwarding off on the router host, so that bond turning it on and back off shows.
    await lab.sysctl(h.router, { "net.ipv6.conf.all.forwarding": 0 });

    const keys = freshEdgeKeys();
    const vpsSocket = `${lab.tmpDir}/vps.sock`;
    const routerSocket = `${lab.tmpDir}/router.sock`;
    const nodes: BondNode[] = [];
    let router: BondNode | undefined;
    try {
      nodes.push(await startBond(lab, h.vps, edgeVpsConfig(topo, keys, vpsSocket, {}, PREFIX)));
      router = await startBond(
        lab,
        h.router,
        edgeRouterConfig(topo, keys, "home") + `lan:\n  interface: ${routerLan}\n` +
          `control:\n  socket: ${routerSocket}\n`,
      );
      nodes.push(router);

      // The router got the prefix and applied it.
      const applied = await waitFor(async () => {
        const doc = await statusJson(lab, h.router, ["-socket", routerSocket]);
        return doc.lan_prefix?.state === "applied" ? doc.lan_prefix : undefined;
      }, { timeoutMs: 20_000, intervalMs: 250, what: "lan prefix applied on the router" });
      const appliedAt = performance.now();
      assert.deepEqual(applied, {
        state: "applied",
        prefix: HOME_64,
        interface: routerLan,
        advertising: true,
        reason: null,
      });
      const text = await bondCli(lab, h.router, ["status", "-socket", routerSocket]);
      assert.match(
        text.stdout,
        new RegExp(`^lan ipv6 +2001:db8:100::/64 applied on ${routerLan}, advertising$`, "m"),
      );
      assert.deepEqual(
        (await globalAddresses(lab, h.router, routerLan)).filter((a) => inHome64(a.local))
          .map((a) => `${a.local}/${a.prefixlen}`),
        ["2001:db8:100::1/64"],
      );
      assert.equal(
        (await lab.run(h.router, ["sysctl", "-n", "net.ipv6.conf.all.forwarding"])).trim(),
        "1",
      );

      // The LAN host: a SLAAC address of the /64, a default route via the router, the MTU.
      const slaac = await waitFor(async () => {
        const mine = (await globalAddresses(lab, h.lan, lanIf)).filter((a) =>
          inHome64(a.local) && a.dynamic
        );
        return mine.length === 1 ? mine[0] : undefined;
      }, { timeoutMs: 15_000, intervalMs: 250, what: "a SLAAC address on the LAN host" });
      assert.equal(slaac.prefixlen, 64);
      assert.ok(slaac.preferred_life_time! > 0);
      const routes = await waitFor(async () => {
        const r = await defaultRoutes(lab, h.lan);
        return r.some((x) => x.protocol === "ra") ? r : undefined;
      }, { timeoutMs: 10_000, intervalMs: 250, what: "a default route from the RA" });
      const viaRa = routes.filter((r) => r.protocol === "ra");
      assert.equal(viaRa.length, 1);
      assert.equal(viaRa[0].dev, lanIf);
      assert.match(viaRa[0].gateway ?? "", /^fe80::/, "via the router's link-local address");
      assert.equal(
        (await lab.run(h.lan, ["sysctl", "-n", `net.ipv6.conf.${lanIf}.mtu`])).trim(),
        String(EDGE_TUNNEL.mtu),
        "the RA's MTU option: the tunnel MTU",
      );

      // Out through the tunnel, from the routed address: no NAT66.
      const srv = topo.srv.eth0;
      await pingUntilUp(lab, h.lan, srv.v6, 15_000);
      const seen = await peerAddressSeenBy(lab, h.srv, srv.v6, h.lan);
      assert.equal(seen, formatIPv6(parseIPv6(slaac.local)));
      assert.notEqual(seen, topo.vps.eth0.v6);

      // A Router Solicitation is answered at once, long before the next periodic RA (200 s+):
      // once the quick start-up RAs are over, the host drops its address and asks again.
      const sinceApplied = performance.now() - appliedAt;
      if (sinceApplied < 10_000) await new Promise((r) => setTimeout(r, 10_000 - sinceApplied));
      await lab.ip(h.lan, ["link", "set", "dev", lanIf, "down"]);
      assert.deepEqual(
        (await globalAddresses(lab, h.lan, lanIf)).filter((a) => inHome64(a.local)),
        [],
      );
      await lab.ip(h.lan, ["link", "set", "dev", lanIf, "up"]);
      await waitFor(async () => {
        const mine = (await globalAddresses(lab, h.lan, lanIf)).filter((a) => inHome64(a.local));
        return mine.length > 0;
      }, {
        timeoutMs: 6000,
        intervalMs: 100,
        what: "the SLAAC address again after a solicitation",
      });

      // Stop: the goodbye RA removes the host's default route via us and deprecates the address.
      const code = await router.stop();
      nodes.pop();
      assert.equal(code, 0, `bond on the router exited with ${code}:\n${router.log()}`);
      assert.deepEqual(
        (await globalAddresses(lab, h.router, routerLan)).filter((a) => inHome64(a.local)),
        [],
        "the router's address of the prefix is gone",
      );
      await waitFor(async () => {
        const r = await defaultRoutes(lab, h.lan);
        return !r.some((x) => x.protocol === "ra");
      }, { timeoutMs: 5000, intervalMs: 100, what: "the RA default route gone from the LAN host" });
      const left = (await globalAddresses(lab, h.lan, lanIf)).filter((a) => inHome64(a.local));
      for (const a of left) assert.equal(a.preferred_life_time, 0, `${a.local} deprecated`);
      assert.equal(
        (await lab.run(h.router, ["sysctl", "-n", "net.ipv6.conf.all.forwarding"])).trim(),
        "0",
        "forwarding put back",
      );
      assert.match(router.log(), /lan prefix 2001:db8:100::\/64 withdrawn/);
    } finally {
      for (const node of nodes.reverse()) {
        const code = await node.stop();
        assert.equal(code, 0, `bond on ${node.host} exited with ${code}:\n${node.log()}`);
      }
    }
    await assertNothingLeft(lab, h.router, EDGE_TUNNEL.interfaceName);
    await assertNothingLeft(lab, h.vps, EDGE_TUNNEL.interfaceName);
  },
});

Deno.test({
  name:
    "lan prefix: without router advertisements the address alone follows the VPS: moved when the prefix changes, removed when it goes",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("lanmv");
    const topo = await buildEdgeTopology(lab);
    const h = topo.hosts;
    const routerLan = topo.router.lan.ifname;
    const keys = freshEdgeKeys();
    const vpsSocket = `${lab.tmpDir}/vps.sock`;
    const routerSocket = `${lab.tmpDir}/router.sock`;
    const routerAddresses = async () =>
      (await globalAddresses(lab, h.router, routerLan))
        .filter((a) => a.local.startsWith("2001:db8:"))
        .map((a) => `${a.local}/${a.prefixlen}`);
    const lanPrefix = async () =>
      (await statusJson(lab, h.router, ["-socket", routerSocket])).lan_prefix;
    const vpsWith = (prefix?: string) =>
      startBond(lab, h.vps, edgeVpsConfig(topo, keys, vpsSocket, {}, prefix));
    let vps: BondNode | undefined;
    let router: BondNode | undefined;
    try {
      vps = await vpsWith(PREFIX);
      router = await startBond(
        lab,
        h.router,
        edgeRouterConfig(topo, keys, "home") +
          `lan:\n  interface: ${routerLan}\n  router_advertisements: false\n` +
          `control:\n  socket: ${routerSocket}\n`,
      );
      await waitFor(async () => (await lanPrefix())?.state === "applied", {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: "the first prefix applied",
      });
      assert.deepEqual(await lanPrefix(), {
        state: "applied",
        prefix: HOME_64,
        interface: routerLan,
        advertising: false,
        reason: null,
      });
      assert.deepEqual(await routerAddresses(), ["2001:db8:100::1/64"]);

      // The VPS comes back with another prefix: the router's address moves with it.
      assert.equal(await vps.stop(), 0, vps.log());
      vps = await vpsWith("2001:db8:200::/56");
      await waitFor(async () => (await lanPrefix())?.prefix === "2001:db8:200::/64", {
        timeoutMs: 40_000,
        intervalMs: 250,
        what: "the new prefix from the restarted VPS",
      });
      assert.deepEqual(await routerAddresses(), ["2001:db8:200::1/64"]);

      // And without one: nothing of ours stays on the LAN.
      assert.equal(await vps.stop(), 0, vps.log());
      vps = await vpsWith(undefined);
      await waitFor(async () => (await lanPrefix())?.state === "none", {
        timeoutMs: 40_000,
        intervalMs: 250,
        what: "the prefix withdrawn after the VPS dropped it",
      });
      assert.deepEqual(await routerAddresses(), []);
      assert.match(router.log(), /lan prefix: the VPS has none for this router/);
    } finally {
      for (const node of [router, vps]) {
        if (node === undefined) continue;
        const code = await node.stop();
        assert.equal(code, 0, `bond on ${node.host} exited with ${code}:\n${node.log()}`);
      }
    }
    await assertNothingLeft(lab, h.router, EDGE_TUNNEL.interfaceName);
  },
});
