/**
 * bond against a stock WireGuard peer (Debian's wireguard-go + wg), both ways, in network
 * namespaces: our router dialling a stock server, a stock client dialling our VPS. Each checks
 * ping over IPv4 and IPv6, a byte-exact bulk TCP transfer, the handshake as `wg show` reports
 * it, a rekey crossed during a transfer (timers shortened through the test-only hook), a
 * restart of either side, and that a stopped bond leaves nothing behind. Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { buildTopology, type Topology } from "../../lab/topology.ts";
import {
  latestHandshake,
  REFERENCE_TUNNEL as T,
  referenceIfname,
  startWireguardGo,
  wgGenKey,
  wgPubKey,
  type WireguardGo,
} from "../../lab/wg_reference.ts";
import { bondConfigText, bondKeyPair, startBond } from "../../lab/bond_node.ts";
import { TEST_TIMERS_ENV } from "../../src/roles/test_hooks.ts";
import { assertNothingLeft } from "./leftovers.ts";
import { assertTransfer, peerAddressSeenBy, ping, pingUntilUp } from "./traffic.ts";

const ignore = !canCreateNamespaces();
const BOND_IF = "bnd0";

interface StockServerSetup {
  lab: Lab;
  topo: Topology;
  wg: WireguardGo;
  wgKey: string;
  bond: ReturnType<typeof bondKeyPair>;
  routerConfig: (extra?: { mtu?: number }) => string;
}

/** wireguard-go on vps (listening), bond router configured as its client. */
async function stockServer(lab: Lab): Promise<StockServerSetup> {
  const topo = await buildTopology(lab);
  const bond = bondKeyPair();
  const wgKey = await wgGenKey();
  const wgPub = await wgPubKey(wgKey);
  const wg = await startWireguardGo(lab, topo.hosts.vps, {
    ifname: referenceIfname(lab, "vps"),
    privateKey: wgKey,
    listenPort: T.listenPort,
    address: [`${T.vps.v4}/24`, `${T.vps.v6}/64`],
    mtu: T.mtu,
    peers: [{ publicKey: bond.pub, allowedIps: [`${T.router.v4}/32`, `${T.router.v6}/128`] }],
  });
  const routerConfig = () =>
    bondConfigText({
      role: "router",
      privateKey: bond.priv,
      interfaceName: BOND_IF,
      addresses: [`${T.router.v4}/24`, `${T.router.v6}/64`],
      mtu: T.mtu,
      peers: [{
        name: "stock-vps",
        publicKey: wgPub,
        endpoint: `${topo.vps.eth0.v4}:${T.listenPort}`,
        allowedIps: [T.subnet.v4, T.subnet.v6],
      }],
      defaultRoute: false,
    });
  return { lab, topo, wg, wgKey, bond, routerConfig };
}

Deno.test({
  name:
    "bond router and a stock wireguard-go server: ping, byte-exact TCP both ways, wg show handshake, clean stop",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("ios");
    const s = await stockServer(lab);
    const router = await startBond(lab, s.topo.hosts.router, s.routerConfig());
    try {
      await pingUntilUp(lab, s.topo.hosts.router, T.vps.v4, 10_000);
      await ping(lab, s.topo.hosts.router, T.vps.v4);
      await ping(lab, s.topo.hosts.router, T.vps.v6);
      await ping(lab, s.topo.hosts.vps, T.router.v6);
      const hs = await latestHandshake(lab, s.topo.hosts.vps, s.wg.ifname);
      assert.ok(hs > 0, "wg show reports no handshake with bond");
      await assertTransfer(lab, s.topo.hosts.router, s.topo.hosts.vps, T.vps.v4, 8 << 20);
      await assertTransfer(lab, s.topo.hosts.vps, s.topo.hosts.router, T.router.v6, 8 << 20);
    } finally {
      const code = await router.stop();
      assert.equal(code, 0, `bond exited with ${code}:\n${router.log()}`);
    }
    await assertNothingLeft(lab, s.topo.hosts.router, BOND_IF);
  },
});

Deno.test({
  name:
    "bond router crosses rekeys with a stock server during a transfer, and survives restarts of either side",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("irk");
    const s = await stockServer(lab);
    // Rekey every 2 s instead of every 120 s, retries after 1 s instead of 5 s (bond initiates;
    // the stock server responds).
    const env = { [TEST_TIMERS_ENV]: JSON.stringify({ rekeyAfterTime: 2000, rekeyTimeout: 1000 }) };
    let router = await startBond(lab, s.topo.hosts.router, s.routerConfig(), { env });
    try {
      await pingUntilUp(lab, s.topo.hosts.router, T.vps.v4, 10_000);
      const first = await latestHandshake(lab, s.topo.hosts.vps, s.wg.ifname);
      // 6 MB at 8 Mbit/s: about 6 s, so at least two rekeys happen mid-transfer.
      await assertTransfer(lab, s.topo.hosts.router, s.topo.hosts.vps, T.vps.v4, 6 << 20, 8);
      const handshakes = (router.log().match(/handshake-complete/g) ?? []).length;
      assert.ok(handshakes >= 3, `expected >= 3 handshakes across the transfer, saw ${handshakes}`);
      const later = await latestHandshake(lab, s.topo.hosts.vps, s.wg.ifname);
      assert.ok(later > first, "wg show: no newer handshake after the rekey interval");

      // Restart bond: the stock server accepts the new process's handshake (newer timestamp).
      assert.equal(await router.stop(), 0);
      router = await startBond(lab, s.topo.hosts.router, s.routerConfig(), { env });
      await pingUntilUp(lab, s.topo.hosts.router, T.vps.v4, 10_000);
      await assertTransfer(lab, s.topo.hosts.router, s.topo.hosts.vps, T.vps.v4, 2 << 20);

      // Restart the stock server with the same key: bond notices the silence and re-handshakes.
      await s.wg.stop();
      const wg2 = await startWireguardGo(lab, s.topo.hosts.vps, {
        ifname: s.wg.ifname,
        privateKey: s.wgKey,
        listenPort: T.listenPort,
        address: [`${T.vps.v4}/24`, `${T.vps.v6}/64`],
        mtu: T.mtu,
        peers: [{ publicKey: s.bond.pub, allowedIps: [`${T.router.v4}/32`, `${T.router.v6}/128`] }],
      });
      await pingUntilUp(lab, s.topo.hosts.router, T.vps.v4, 30_000);
      await assertTransfer(lab, s.topo.hosts.vps, s.topo.hosts.router, T.router.v4, 2 << 20);
      await wg2.stop();
    } finally {
      await router.stop();
    }
    await assertNothingLeft(lab, s.topo.hosts.router, BOND_IF);
  },
});

/** bond VPS (listening, masquerading to srv), wireguard-go router as its client. */
async function stockClient(lab: Lab) {
  const topo = await buildTopology(lab);
  const bond = bondKeyPair();
  const wgKey = await wgGenKey();
  const wgPub = await wgPubKey(wgKey);
  const vpsConfig = bondConfigText({
    role: "vps",
    privateKey: bond.priv,
    interfaceName: BOND_IF,
    addresses: [`${T.vps.v4}/24`, `${T.vps.v6}/64`],
    mtu: T.mtu,
    listenPort: T.listenPort,
    peers: [{
      name: "stock-phone",
      publicKey: wgPub,
      allowedIps: [`${T.router.v4}/32`, `${T.router.v6}/128`],
    }],
    publicInterface: topo.vps.eth0.ifname,
  });
  const startClient = () =>
    startWireguardGo(lab, topo.hosts.router, {
      ifname: referenceIfname(lab, "router"),
      privateKey: wgKey,
      address: [`${T.router.v4}/24`, `${T.router.v6}/64`],
      mtu: T.mtu,
      peers: [{
        publicKey: bond.pub,
        endpoint: `[${topo.vps.eth0.v6}]:${T.listenPort}`,
        allowedIps: [T.subnet.v4, T.subnet.v6, `${topo.srv.eth0.v4}/32`, `${topo.srv.eth0.v6}/128`],
        persistentKeepalive: 25,
      }],
    });
  return { topo, bond, wgKey, vpsConfig, startClient };
}

Deno.test({
  name:
    "a stock wireguard-go client and bond VPS over an IPv6 underlay: ping, byte-exact TCP, masquerade to srv, clean stop",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("ioc");
    const c = await stockClient(lab);
    const vps = await startBond(lab, c.topo.hosts.vps, c.vpsConfig);
    let wg: WireguardGo | undefined;
    try {
      wg = await c.startClient();
      // wireguard-go adds no routes for allowed IPs outside its subnet: send srv through it.
      await lab.ip(c.topo.hosts.router, [
        "route",
        "add",
        `${c.topo.srv.eth0.v4}/32`,
        "dev",
        wg.ifname,
      ]);
      await lab.ip(c.topo.hosts.router, [
        "-6",
        "route",
        "add",
        `${c.topo.srv.eth0.v6}/128`,
        "dev",
        wg.ifname,
      ]);
      await pingUntilUp(lab, c.topo.hosts.router, T.vps.v4, 10_000);
      await ping(lab, c.topo.hosts.router, T.vps.v6);
      await ping(lab, c.topo.hosts.vps, T.router.v4);
      assert.ok(
        await latestHandshake(lab, c.topo.hosts.router, wg.ifname) > 0,
        "no handshake in wg show",
      );
      await assertTransfer(lab, c.topo.hosts.router, c.topo.hosts.vps, T.vps.v6, 8 << 20);
      await assertTransfer(lab, c.topo.hosts.vps, c.topo.hosts.router, T.router.v4, 8 << 20);

      // Through the VPS to the internet: srv must see the VPS's public address, not the tunnel's.
      for (
        const [srvAddr, vpsPublic] of [[c.topo.srv.eth0.v4, c.topo.vps.eth0.v4], [
          c.topo.srv.eth0.v6,
          c.topo.vps.eth0.v6,
        ]]
      ) {
        const seen = await peerAddressSeenBy(lab, c.topo.hosts.srv, srvAddr, c.topo.hosts.router);
        assert.equal(seen, vpsPublic, `srv saw ${seen}, not the VPS's public address`);
      }
    } finally {
      await wg?.stop();
      const code = await vps.stop();
      assert.equal(code, 0, `bond exited with ${code}:\n${vps.log()}`);
    }
    await assertNothingLeft(lab, c.topo.hosts.vps, BOND_IF);
  },
});

Deno.test({
  name:
    "bond VPS re-handshakes as initiator when its keys expire under a stock client, and survives a client restart",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("ivr");
    const c = await stockClient(lab);
    // Keys rejected after 3 s: the VPS (responder) must start a handshake of its own to keep sending.
    const env = {
      [TEST_TIMERS_ENV]: JSON.stringify({ rejectAfterTime: 3000, rekeyAfterTime: 2000 }),
    };
    const vps = await startBond(lab, c.topo.hosts.vps, c.vpsConfig, { env });
    let wg: WireguardGo | undefined;
    try {
      wg = await c.startClient();
      await pingUntilUp(lab, c.topo.hosts.router, T.vps.v4, 10_000);
      await assertTransfer(lab, c.topo.hosts.vps, c.topo.hosts.router, T.router.v4, 6 << 20, 8);
      const handshakes = (vps.log().match(/handshake-complete/g) ?? []).length;
      assert.ok(handshakes >= 2, `expected a handshake after key expiry, saw ${handshakes}`);

      await wg.stop();
      wg = await c.startClient();
      await pingUntilUp(lab, c.topo.hosts.router, T.vps.v4, 15_000);
      await assertTransfer(lab, c.topo.hosts.router, c.topo.hosts.vps, T.vps.v4, 2 << 20);
    } finally {
      await wg?.stop();
      await vps.stop();
    }
    await assertNothingLeft(lab, c.topo.hosts.vps, BOND_IF);
  },
});
