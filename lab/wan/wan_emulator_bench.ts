/**
 * How exact and how fast the WAN emulator is, printed (never asserted): a one-WAN lab, ping
 * RTT against the configured delay, iperf3 TCP through the emulator unlimited and at a set
 * rate in both directions, and the emulator's CPU time per second of traffic. Needs root.
 *
 *   deno run -A lab/wan/wan_emulator_bench.ts [--seconds 4] [--rate 100] [--delay 10]
 */
import { parseArgs } from "node:util";
import { Lab } from "../../tests/netns/harness/netns.ts";
import { buildWanTopology } from "../topology_wan.ts";
import { iperfTcp } from "../iperf.ts";
import { bothWays } from "./wan_settings.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "4" },
    rate: { type: "string", default: "100" },
    delay: { type: "string", default: "10" },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const delay = Number(values.delay);
if (!(seconds > 0 && seconds <= 60) || !(rate > 0) || !(delay >= 0)) {
  console.error("wan_emulator_bench: --seconds 1-60, --rate > 0 (Mbit/s), --delay >= 0 (ms)");
  Deno.exit(2);
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  // utime and stime, fields 14 and 15 of the whole line, in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

await using lab = await Lab.create("wanbench");
const { topology, emulators } = await buildWanTopology(lab, {
  links: [bothWays({ delayMs: delay })],
});
const wan = topology.wans[0];
const emulator = emulators[0];
const srv = topology.srv.eth0;

console.log(`WAN emulator, one link, one-way delay ${delay} ms, ${seconds} s per run`);
const ping = await lab.run("router", [
  "ping",
  "-q",
  "-c",
  "50",
  "-i",
  "0.02",
  "-I",
  wan.router.v4,
  srv.v4,
], {
  timeoutMs: 30_000,
});
const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(ping);
console.log(
  `  ping RTT  min/avg/max ${rtt?.[1]}/${rtt?.[2]}/${rtt?.[3]} ms   (configured ${2 * delay} ms)`,
);

const mtu = topology.mtu;
for (const limit of [0, rate]) {
  await emulator.set(bothWays({ rateMbps: limit }));
  for (const reverse of [false, true]) {
    const before = cpuSeconds(emulator.process.pid);
    const r = await iperfTcp(lab, {
      server: "router",
      client: "srv",
      address: wan.router.v4,
      seconds,
      reverse,
    });
    const cpu = (cpuSeconds(emulator.process.pid) - before) / r.seconds;
    const expected = limit > 0
      ? `   (TCP goodput of ${limit} Mbit/s: ${(limit * (mtu - 52) / mtu).toFixed(1)})`
      : "";
    console.log(
      `  ${limit > 0 ? `${limit} Mbit/s` : "unlimited"} ${reverse ? "up  " : "down"}  TCP ` +
        `${(r.gbps * 1000).toFixed(1).padStart(7)} Mbit/s  emulator CPU ${
          (cpu * 100).toFixed(0).padStart(3)
        }%` +
        expected,
    );
  }
}
