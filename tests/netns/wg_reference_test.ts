/**
 * Two stock wireguard-go peers (router as client of vps) carry IPv4 and IPv6, and the iperf3
 * yardstick runs over the bare underlay and the tunnel. Figures are printed, not asserted.
 * Needs root.
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { buildTopology } from "../../lab/topology.ts";
import {
  latestHandshake,
  REFERENCE_TUNNEL,
  startReferenceTunnel,
  wgConfigText,
  wgGenKey,
  wgPubKey,
} from "../../lab/wg_reference.ts";
import { iperfTcp } from "../../lab/iperf.ts";
import {
  formatReferenceThroughput,
  measureReferenceThroughput,
} from "../../lab/reference_throughput.ts";

const ignore = !canCreateNamespaces();

function ping(lab: Lab, host: string, address: string): Promise<string> {
  const family = address.includes(":") ? ["-6"] : [];
  return lab.run(host, ["ping", ...family, "-c", "3", "-i", "0.2", "-W", "2", address]);
}

Deno.test("wgConfigText writes interface and peer sections as wg setconf reads them", () => {
  const text = wgConfigText({
    ifname: "wgx",
    privateKey: "PRIV",
    listenPort: 51820,
    address: [],
    mtu: 1420,
    peers: [{
      publicKey: "PUB",
      endpoint: "[2001:db8::1]:51820",
      allowedIps: ["10.0.0.0/8", "::/0"],
    }],
  });
  assert.equal(
    text,
    "[Interface]\nPrivateKey = PRIV\nListenPort = 51820\n\n[Peer]\nPublicKey = PUB\n" +
      "Endpoint = [2001:db8::1]:51820\nAllowedIPs = 10.0.0.0/8, ::/0\n",
  );
});

Deno.test({
  name: "wg genkey and wg pubkey give distinct 32-byte base64 keys",
  ignore,
  async fn() {
    const priv = await wgGenKey();
    const pub = await wgPubKey(priv);
    assert.match(priv, /^[A-Za-z0-9+/]{43}=$/);
    assert.match(pub, /^[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(priv, pub);
  },
});

Deno.test({
  name: "wireguard-go reference tunnel carries IPv4 and IPv6 pings and records a handshake",
  ignore,
  async fn() {
    await using lab = await Lab.create("wgref");
    const topo = await buildTopology(lab);
    // wg reports whole seconds; the router's persistent keepalive may handshake at once.
    const before = Math.floor(Date.now() / 1000);
    const tunnel = await startReferenceTunnel(lab, topo);
    await ping(lab, topo.hosts.router, REFERENCE_TUNNEL.vps.v4);
    await ping(lab, topo.hosts.router, REFERENCE_TUNNEL.vps.v6);
    await ping(lab, topo.hosts.vps, REFERENCE_TUNNEL.router.v6);
    for (const side of [tunnel.router, tunnel.vps]) {
      const at = await latestHandshake(lab, side.host, side.ifname);
      assert.ok(at >= before, `${side.host} handshake at ${at}, tunnel started ${before}`);
    }
    const peerKey = await latestHandshake(
      lab,
      tunnel.vps.host,
      tunnel.vps.ifname,
      tunnel.router.publicKey,
    );
    assert.ok(peerKey > 0, "vps lists the router's key with a handshake");

    // After the reference tunnel stops, nothing answers on the tunnel address any more.
    await tunnel.stop();
    const gone = await lab.exec(topo.hosts.router, [
      "ping",
      "-c",
      "1",
      "-W",
      "1",
      REFERENCE_TUNNEL.vps.v4,
    ]);
    assert.notEqual(gone.code, 0);
  },
});

Deno.test({
  name: "iperf3 moves bytes over the bare veth and the wireguard-go tunnel (figures printed)",
  ignore,
  async fn() {
    await using lab = await Lab.create("wgperf");
    const topo = await buildTopology(lab);
    const tunnel = await startReferenceTunnel(lab, topo);
    const r = await measureReferenceThroughput(lab, topo, tunnel, { seconds: 3, udpRateMbps: 500 });
    console.log(formatReferenceThroughput(r).join("\n"));
    for (const t of [r.bareVethTcp, r.wireguardGoTcp]) assert.ok(t.bytes > 0 && t.gbps > 0);
    for (const u of [r.bareVethUdp, r.wireguardGoUdp]) {
      assert.ok(u.bytes > 0 && u.packetsPerSecond > 0 && u.sentGbps > 0);
      assert.ok(u.lossPercent >= 0 && u.lossPercent <= 100);
    }
    // IPv6 over the tunnel too, in reverse (vps sends): one short run.
    const v6 = await iperfTcp(lab, {
      server: topo.hosts.vps,
      client: topo.hosts.router,
      address: REFERENCE_TUNNEL.vps.v6,
      seconds: 1,
      reverse: true,
    });
    console.log(`wireguard-go tunnel    TCP over IPv6, vps→router ${v6.gbps.toFixed(3)} Gbit/s`);
    assert.ok(v6.bytes > 0);
  },
});

Deno.test({
  name: "iperf3 fails fast, naming the server, when the server cannot bind the address",
  ignore,
  async fn() {
    await using lab = await Lab.create("wgperf");
    const topo = await buildTopology(lab);
    // The tunnel address does not exist here: no tunnel was started.
    const started = performance.now();
    await assert.rejects(
      () =>
        iperfTcp(lab, {
          server: topo.hosts.vps,
          client: topo.hosts.router,
          address: REFERENCE_TUNNEL.vps.v4,
          seconds: 1,
        }),
      /iperf3 server on vps 10\.66\.0\.1:5201 exited/,
    );
    assert.ok(performance.now() - started < 4000, "failed without waiting out the timeout");
  },
});
