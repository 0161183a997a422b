/**
 * `deno task lab`: the whole picture on one machine. Builds the lab of network namespaces
 * (a LAN host, the router, the "internet", the VPS and a public server), runs bond in both roles
 * with real configuration files, shows what the tunnel is doing, measures it, and keeps it up
 * until Ctrl-C (or `deno task lab down` from another terminal), then removes everything.
 *
 *   deno task lab              build, start, report, keep running
 *   deno task lab --once       build, start, report, tear down (a smoke run)
 *   deno task lab down         stop a lab running elsewhere on this machine
 *   deno task lab --seconds N  length of each speed test (default 5)
 */
import { parseArgs } from "node:util";
import { Lab } from "../tests/netns/harness/netns.ts";
import {
  cleanupStaleLabs,
  processStartTime,
  REGISTRY_DIR,
} from "../tests/netns/harness/lab_registry.ts";
import { buildTopology, type Topology } from "./topology.ts";
import { BOND_TUNNEL, type BondPair, startBondPair } from "./bond_pair.ts";
import { iperfTcp, iperfUdp } from "./iperf.ts";

const LAB_TAG = "lab";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    once: { type: "boolean", default: false },
    seconds: { type: "string", default: "5" },
  },
});

if (Deno.uid() !== 0) {
  console.error("lab: needs root (network namespaces, TUN devices, nftables)");
  Deno.exit(1);
}

if (positionals[0] === "down") {
  Deno.exit(await labDown());
} else if (positionals.length > 0) {
  console.error(`lab: unknown command ${positionals[0]} (want: down)`);
  Deno.exit(2);
}

const seconds = Number(values.seconds);
if (!(seconds > 0 && seconds <= 60)) {
  console.error(`lab: --seconds must be 1-60, got ${values.seconds}`);
  Deno.exit(2);
}

const lab = await Lab.create(LAB_TAG);
let pair: BondPair | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log("\nlab: stopping bond and removing the namespaces…");
  try {
    await pair?.stop();
  } finally {
    await lab.destroy();
  }
  console.log("lab: removed");
  Deno.exit(code);
};
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => stop(0));

try {
  const topo = await buildTopology(lab);
  printTopology(topo);
  pair = await startBondPair(lab, topo);
  console.log("\n== bond is up ==");
  for (const node of [pair.vps, pair.router]) {
    const up = node.log().split("\n").find((l) => l.includes("tunnel up"));
    console.log(`${node.host.padEnd(7)} ${up?.replace(/^INFO\s+/, "") ?? "(no log line)"}`);
  }
  await report(lab, topo, seconds);
} catch (err) {
  console.error(`lab: ${(err as Error).message}`);
  for (const node of [pair?.vps, pair?.router]) {
    if (node) console.error(`--- ${node.host} log ---\n${node.log()}`);
  }
  await stop(1);
}

if (values.once) {
  await stop(0);
} else {
  console.log(
    `\nlab ${lab.id} is running. Try:\n` +
      `  ip netns exec ${lab.ns("lan")} ping ${"192.0.2.10"}\n` +
      `  ip netns exec ${lab.ns("router")} ip rule\n` +
      `Ctrl-C (or 'deno task lab down') removes everything.`,
  );
  // Stay up; report the daemons dying, if they do.
  const exited = await Promise.race([pair!.router.process.status, pair!.vps.process.status]);
  if (!stopping) {
    console.error(`lab: a bond daemon exited (code ${exited.code})`);
    await stop(1);
  }
}

function printTopology(t: Topology): void {
  console.log(`== lab ${lab.id} ==`);
  console.log(
    `  lan ${t.lan.eth0.v4} ── router ══ wan ${t.router.wan.v4} ── inet ── vps ${t.vps.eth0.v4} ── inet ── srv ${t.srv.eth0.v4}`,
  );
  console.log(
    `  tunnel bnd0: router ${BOND_TUNNEL.router.v4} / ${BOND_TUNNEL.router.v6}  ⇄  vps ${BOND_TUNNEL.vps.v4} / ${BOND_TUNNEL.vps.v6}`,
  );
}

async function report(lab: Lab, t: Topology, seconds: number): Promise<void> {
  const h = t.hosts;
  console.log("\n== reachability (LAN host → public server, through the tunnel) ==");
  for (const addr of [t.srv.eth0.v4, t.srv.eth0.v6]) {
    const r = await lab.exec(h.lan, [
      "ping",
      addr.includes(":") ? "-6" : "-4",
      "-c",
      "5",
      "-i",
      "0.2",
      addr,
    ]);
    const rtt = /= [\d.]+\/([\d.]+)\//.exec(r.stdout)?.[1];
    const loss = /(\d+)% packet loss/.exec(r.stdout)?.[1];
    console.log(
      `  ping ${addr.padEnd(16)} ${r.code === 0 ? `ok  rtt ${rtt} ms  loss ${loss}%` : "FAILED"}`,
    );
  }
  const route = (await lab.ip(h.router, ["route", "get", t.srv.eth0.v4])).trim().split("\n")[0];
  console.log(`  router: ${route}`);

  console.log(`\n== speed test (iperf3, ${seconds} s each, LAN host ⇄ public server) ==`);
  const up = await iperfTcp(lab, { server: h.srv, client: h.lan, address: t.srv.eth0.v4, seconds });
  const down = await iperfTcp(lab, {
    server: h.srv,
    client: h.lan,
    address: t.srv.eth0.v4,
    seconds,
    reverse: true,
  });
  const udp = await iperfUdp(lab, {
    server: h.srv,
    client: h.lan,
    address: t.srv.eth0.v4,
    seconds,
    rateMbps: 200,
  });
  console.log(
    `  through bond   TCP up ${fmt(up.gbps)}   TCP down ${
      fmt(down.gbps)
    }   UDP 200 Mbit/s offered: ${fmt(udp.gbps)}, loss ${udp.lossPercent.toFixed(2)}%`,
  );
  // router → its WAN next hop: the one destination the full tunnel leaves on the underlay.
  const bare = await iperfTcp(lab, {
    server: h.inet,
    client: h.router,
    address: t.inet.router.v4,
    seconds,
  });
  console.log(`  underlay (router → ISP, no tunnel)  TCP ${fmt(bare.gbps)}`);
}

function fmt(gbps: number): string {
  return gbps >= 1 ? `${gbps.toFixed(2)} Gbit/s` : `${(gbps * 1000).toFixed(0)} Mbit/s`;
}

/** Stops labs started by `deno task lab` elsewhere: SIGTERM to their owner, then clean up. */
async function labDown(): Promise<number> {
  let found = 0;
  try {
    for await (const entry of Deno.readDir(REGISTRY_DIR)) {
      if (!entry.name.startsWith(`bt${LAB_TAG}`) || !entry.name.endsWith(".json")) continue;
      const record = JSON.parse(await Deno.readTextFile(`${REGISTRY_DIR}/${entry.name}`));
      if (processStartTime(record.pid) === record.pidStart) {
        found++;
        Deno.kill(record.pid, "SIGTERM");
        for (let i = 0; i < 100 && processStartTime(record.pid) === record.pidStart; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const removed = await cleanupStaleLabs({ orphanAgeMinutes: 0 });
  console.log(
    found + removed.length === 0 ? "lab: no lab running" : `lab: stopped ${found} lab(s)`,
  );
  return 0;
}
