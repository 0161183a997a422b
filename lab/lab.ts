/**
 * `deno task lab`: the whole picture on one machine. Builds the lab of network namespaces (a
 * LAN host, the router with emulated WANs, their ISPs, the "internet", the VPS and a public
 * server), runs bond in both roles with real configuration files, shows `bond status`, runs
 * `bond speedtest` and iperf3, and keeps everything up until Ctrl-C (or `deno task lab down`),
 * then removes it.
 *
 *   deno task lab [--profile A|B|C] [--nat] [--seconds N]   build, start, report, keep running
 *   deno task lab --once ...                                 the same, then tear down
 *   deno task lab link wan2 down | up | delay 80ms | loss 5% | rate 20mbit | jitter 20ms | ...
 *                                                            change an emulated WAN while it runs
 *   deno task lab down                                       stop a lab running elsewhere
 */
import { parseArgs } from "node:util";
import { Lab } from "../tests/netns/harness/netns.ts";
import {
  cleanupStaleLabs,
  processStartTime,
  REGISTRY_DIR,
} from "../tests/netns/harness/lab_registry.ts";
import { buildWanTopology, type WanTopology } from "./topology_wan.ts";
import { profileNamed, profileSumMbps, type WanProfile } from "./wan/profiles.ts";
import { linkCommand } from "./wan/running_wans.ts";
import { BOND_TUNNEL, type BondPair, startBondPair, wanLinks } from "./bond_pair.ts";
import { iperfTcp, iperfUdp } from "./iperf.ts";
import { bondCli } from "./bond_cli.ts";

const LAB_TAG = "lab";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    once: { type: "boolean", default: false },
    seconds: { type: "string", default: "5" },
    profile: { type: "string", default: "A" },
    nat: { type: "boolean", default: false },
  },
});

if (Deno.uid() !== 0) {
  console.error("lab: needs root (network namespaces, TUN devices, nftables)");
  Deno.exit(1);
}

if (positionals[0] === "down") {
  Deno.exit(await labDown());
} else if (positionals[0] === "link") {
  const [name, ...words] = positionals.slice(1);
  if (!name) {
    console.error("usage: deno task lab link wanN [down|up|delay 80ms|loss 5%|rate 20mbit|...]");
    Deno.exit(2);
  }
  try {
    console.log(await linkCommand(LAB_TAG, name, words));
    Deno.exit(0);
  } catch (err) {
    console.error(`lab link: ${(err as Error).message}`);
    Deno.exit(1);
  }
} else if (positionals.length > 0) {
  console.error(`lab: unknown command ${positionals[0]} (want: link, down)`);
  Deno.exit(2);
}

const seconds = Number(values.seconds);
if (!(seconds > 0 && seconds <= 60)) {
  console.error(`lab: --seconds must be 1-60, got ${values.seconds}`);
  Deno.exit(2);
}
let profile: WanProfile;
try {
  profile = profileNamed(values.profile!);
} catch (err) {
  console.error(`lab: ${(err as Error).message}`);
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
  const { topology: topo } = await buildWanTopology(lab, {
    links: profile.links,
    nat: values.nat,
  });
  printTopology(topo, profile);
  pair = await startBondPair(lab, topo, { links: wanLinks(topo.wans) });
  // Links are admitted after a few good probes (50 ms apart): let that happen before the
  // first status, so it shows the links as they run rather than as they start.
  await new Promise((r) => setTimeout(r, 2000));
  for (const node of [pair.vps, pair.router]) {
    console.log(`\n== bond status on ${node.host} (bond status -config ${node.configPath}) ==`);
    const status = await bondCli(lab, node.host, ["status", "-config", node.configPath]);
    console.log((status.stdout || status.stderr).trimEnd());
  }
  await report(lab, topo, seconds, pair);
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
      `  ip netns exec ${lab.ns("lan")} ping 192.0.2.10\n` +
      `  deno task lab link wan1 down        (and: up, delay 80ms, loss 5%, rate 20mbit)\n` +
      `  deno run -A main.ts status -config ${pair!.router.configPath}   (inside ${
        lab.ns("router")
      })\n` +
      `Ctrl-C (or 'deno task lab down') removes everything.`,
  );
  // Stay up; report the daemons dying, if they do.
  const exited = await Promise.race([pair!.router.process.status, pair!.vps.process.status]);
  if (!stopping) {
    console.error(`lab: a bond daemon exited (code ${exited.code})`);
    await stop(1);
  }
}

function printTopology(t: WanTopology, p: WanProfile): void {
  console.log(`== lab ${lab.id}: profile ${p.name}, ${p.description} ==`);
  console.log(`  lan ${t.lan.eth0.v4} ── router`);
  for (const w of t.wans) {
    console.log(
      `      router ══ ${w.name} ${w.router.v4} ── ${w.isp}${w.nat ? " (CGNAT)" : ""} ── inet`,
    );
  }
  console.log(`  inet ── vps ${t.vps.eth0.v4} / ${t.vps.eth0.v6}    inet ── srv ${t.srv.eth0.v4}`);
  console.log(
    `  tunnel bnd0: router ${BOND_TUNNEL.router.v4} / ${BOND_TUNNEL.router.v6}  ⇄  ` +
      `vps ${BOND_TUNNEL.vps.v4} / ${BOND_TUNNEL.vps.v6}`,
  );
  console.log(
    `  WAN sum: ${profileSumMbps(p, "down")} Mbit/s down, ${profileSumMbps(p, "up")} Mbit/s up, ` +
      `bonded by bond (scheduler aggregate)`,
  );
}

async function report(lab: Lab, t: WanTopology, seconds: number, pair: BondPair): Promise<void> {
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

  console.log(`\n== bond speedtest on the router (${seconds} s each way, through the tunnel) ==`);
  const speed = await bondCli(lab, h.router, [
    "speedtest",
    "-config",
    pair.router.configPath,
    "--seconds",
    String(seconds),
  ], (4 * seconds + 30) * 1000);
  console.log((speed.stdout || speed.stderr).trimEnd());

  console.log(`\n== iperf3, ${seconds} s each, LAN host ⇄ public server ==`);
  const run = { server: h.srv, client: h.lan, address: t.srv.eth0.v4, seconds };
  const up = await iperfTcp(lab, run);
  const down = await iperfTcp(lab, { ...run, reverse: true });
  const udpRate = Math.round(profileSumMbps(profile, "up") * 0.5) || 20;
  const udp = await iperfUdp(lab, { ...run, rateMbps: udpRate });
  console.log(
    `  TCP up ${fmt(up.gbps)}   TCP down ${fmt(down.gbps)}   ` +
      `UDP ${udpRate} Mbit/s offered: ${fmt(udp.gbps)}, loss ${udp.lossPercent.toFixed(2)}%`,
  );
}

function fmt(gbps: number): string {
  return gbps >= 1 ? `${gbps.toFixed(2)} Gbit/s` : `${(gbps * 1000).toFixed(1)} Mbit/s`;
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
