/**
 * A bonded pair on a fresh three-WAN lab (profile A, userspace WAN emulators), waited on until
 * every configured path is up on both ends, and the helpers the bonding netns tests share.
 */
import assert from "node:assert/strict";
import { statusJson } from "./status_json.ts";
import { Lab } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { buildWanTopology, type WanLab, type WanTopology } from "../../lab/topology_wan.ts";
import {
  BOND_TUNNEL,
  type BondPair,
  type BondPairLink,
  routerExtras,
  startBondPair,
  wanLinks,
} from "../../lab/bond_pair.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import { PROFILE_A } from "../../lab/wan/profiles.ts";
import type { StatusDocument } from "../../src/control/status_document.ts";
import { assertTransfer, pingUntilUp } from "./traffic.ts";
import { iperfUdp } from "../../lab/iperf.ts";

export const WANS = ["wan1", "wan2", "wan3"];

/** Polls the status document until `check` holds (bounded), returning the last one. */
export async function statusUntil(
  lab: Lab,
  host: string,
  configPath: string,
  check: (doc: StatusDocument) => boolean,
  timeoutMs: number,
): Promise<StatusDocument> {
  let doc = await statusJson(lab, host, ["-config", configPath]);
  await waitFor(async () => {
    doc = await statusJson(lab, host, ["-config", configPath]);
    return check(doc);
  }, { timeoutMs, intervalMs: 250, what: `status on ${host}` }).catch(() => {});
  return doc;
}

/** The router's per-link bytes sent and received. */
export async function linkBytes(lab: Lab, pair: BondPair, host: string) {
  const doc = await statusJson(lab, host, ["-config", pair.router.configPath]);
  return new Map(doc.links.map((l) => [l.name, { tx: l.tx_bytes ?? 0, rx: l.rx_bytes ?? 0 }]));
}

/** A bonded pair on a fresh three-WAN lab, every path up on both ends. */
export async function bondedLab(
  tag: string,
  opts: {
    scheduler?: "aggregate" | "pinned" | "redundant" | "failover";
    family?: "v4" | "v6";
    /** The router's links: the first `links` WANs. @default 3 */
    links?: number;
    /** The router's links as written (instead of `links`). */
    linkConfigs?: (topo: WanTopology) => BondPairLink[];
    /** The router dials both VPS addresses (`endpoint` as a list). */
    bothEndpoints?: boolean;
    /** The router's `scheduler.tcp`. @default the daemon's (mptcp) */
    tcp?: "mptcp" | "packet";
  } = {},
) {
  const lab = await Lab.create(tag);
  try {
    const family = opts.family ?? "v4";
    // CGNAT only makes sense for IPv4 (IPv6 stays routed).
    const wanLab = await buildWanTopology(lab, { links: PROFILE_A.links, nat: family === "v4" });
    const topo = wanLab.topology;
    const links = opts.linkConfigs?.(topo) ?? wanLinks(topo.wans).slice(0, opts.links);
    const wans = links.map((l) => l.name);
    const pair = await startBondPair(lab, topo, {
      links,
      scheduler: opts.scheduler,
      tcp: opts.tcp,
      endpointFamily: opts.bothEndpoints ? "both" : family,
    });
    await pingUntilUp(lab, topo.hosts.lan, topo.srv.eth0[family], 15_000);
    const router = await statusUntil(
      lab,
      topo.hosts.router,
      pair.router.configPath,
      (d) => d.links.every((l) => l.state === "up"),
      10_000,
    );
    assert.deepEqual(router.links.map((l) => [l.name, l.state]), wans.map((w) => [w, "up"]));
    const vps = await statusUntil(
      lab,
      topo.hosts.vps,
      pair.vps.configPath,
      (d) =>
        d.peers[0].paths.length === wans.length && d.peers[0].paths.every((p) => p.state === "up"),
      10_000,
    );
    assert.deepEqual(vps.peers[0].paths.map((p) => [p.link, p.state]), wans.map((w) => [w, "up"]));
    return { lab, wanLab, topo, pair, router, vps };
  } catch (err) {
    await lab.destroy();
    throw err;
  }
}

export async function stopPair(pair: BondPair) {
  const [r, v] = [await pair.router.stop(), await pair.vps.stop()];
  assert.equal(r, 0, `router exited with ${r}:\n${pair.router.log()}`);
  assert.equal(v, 0, `vps exited with ${v}:\n${pair.vps.log()}`);
}

/** UDP for 2 s at `rateMbps` each way: LAN → srv, then VPS → router (iperf3 offers it). */
export async function udpBothWays(lab: Lab, wanLab: WanLab, rateMbps: number): Promise<void> {
  const topo = wanLab.topology;
  const h = topo.hosts;
  await iperfUdp(lab, {
    server: h.srv,
    client: h.lan,
    address: topo.srv.eth0.v4,
    seconds: 2,
    rateMbps,
  });
  await iperfUdp(lab, {
    server: h.router,
    client: h.vps,
    address: BOND_TUNNEL.router.v4,
    seconds: 2,
    rateMbps,
  });
}

/** Byte-exact download: the VPS sends to the router's tunnel address. */
export function download(lab: Lab, wanLab: WanLab, bytes: number) {
  const h = wanLab.topology.hosts;
  return assertTransfer(lab, h.vps, h.router, BOND_TUNNEL.router.v4, bytes);
}

/**
 * The router's file with its `links` (and `scheduler`) replaced, then `bond reload`; returns
 * what reload printed.
 */
export async function reloadRouterWith(
  lab: Lab,
  host: string,
  pair: BondPair,
  extras: Parameters<typeof routerExtras>[0],
): Promise<string> {
  const text = await Deno.readTextFile(pair.router.configPath);
  // Top-level `links:` and `scheduler:` with their indented lines go; the new ones are appended.
  const base = text.replace(/^(links|scheduler):.*\n(?:[ -].*\n)*/gm, "");
  assert.notEqual(base, text, "the router's file has a links section");
  await Deno.writeTextFile(pair.router.configPath, base + routerExtras(extras));
  const r = await bondCli(lab, host, ["reload", "-config", pair.router.configPath]);
  assert.equal(r.code, 0, `reload: ${r.stdout}${r.stderr}\n${pair.router.log()}`);
  return r.stdout;
}
