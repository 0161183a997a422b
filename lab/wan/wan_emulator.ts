/**
 * The WAN emulator program, run inside an ISP's namespace (`ip netns exec ispN deno run -A
 * lab/wan/wan_emulator.ts --socket PATH ...`). It opens two TUN devices, one per direction,
 * and holds each packet the kernel routes into them for its delay, loss and rate (see
 * delay_line.ts) before writing it back; policy routing in the namespace (wan_routing.ts)
 * steers the WAN's traffic through them. Settings change while it runs through the control
 * socket (control_protocol.ts). Prints one JSON line `{"ready": ...}` once it works.
 *
 *   --socket PATH        control socket (required)
 *   --up-tun NAME        TUN for router → internet packets   (default emu_up)
 *   --down-tun NAME      TUN for internet → router packets   (default emu_down)
 *   --mtu N              TUN MTU = largest packet            (default 1500)
 *   --slots N            packets held per direction at most  (default 8192)
 *   --settings JSON      initial settings, a LinkPatch       (default: transparent)
 *   --seed N             seed of the loss and jitter models  (default: random)
 *   --realtime N         SCHED_FIFO priority N for the packet loop's thread alone (default: off;
 *                        where it is not allowed, the loop runs as an ordinary thread)
 *
 * SIGTERM/SIGINT stop it; the TUN devices go away with the process.
 */
import { parseArgs } from "node:util";
import { TunDevice } from "../../ffi/tun.ts";
import { NetlinkSocket } from "../../src/system/netlink/socket.ts";
import { setLinkMtu, setLinkUp } from "../../src/system/netlink/link.ts";
import { EmulatorThread } from "./emulator_thread.ts";
import { serveWanControl } from "./control_server.ts";
import type { ControlRequest, WanStatus } from "./control_protocol.ts";
import { applyLinkPatch, type LinkPatch, type LinkSettings, linkSettings } from "./wan_settings.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    socket: { type: "string" },
    "up-tun": { type: "string", default: "emu_up" },
    "down-tun": { type: "string", default: "emu_down" },
    mtu: { type: "string", default: "1500" },
    slots: { type: "string", default: "8192" },
    settings: { type: "string", default: "{}" },
    seed: { type: "string" },
    realtime: { type: "string" },
  },
});

function fail(message: string): never {
  console.error(`wan_emulator: ${message}`);
  Deno.exit(2);
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(`--${name} must be an integer ${min}-${max}, got ${text}`);
  }
  return n;
}

if (!values.socket) fail("--socket PATH is required");
const mtu = integer("mtu", values.mtu, 576, 65535);
const slots = integer("slots", values.slots, 16, 1 << 20);
const seed = values.seed === undefined
  ? undefined
  : integer("seed", values.seed, -(2 ** 31), 2 ** 31 - 1);
const realtimePriority = values.realtime === undefined
  ? undefined
  : integer("realtime", values.realtime, 1, 99);
let settings: LinkSettings;
try {
  settings = linkSettings(JSON.parse(values.settings) as LinkPatch);
} catch (err) {
  fail(`--settings: ${(err as Error).message}`);
}

const tunUp = TunDevice.open(values["up-tun"]);
const tunDown = TunDevice.open(values["down-tun"]);
const nl = NetlinkSocket.open();
try {
  for (const tun of [tunUp, tunDown]) {
    setLinkMtu(nl, tun.name, mtu);
    setLinkUp(nl, tun.name, true);
  }
} finally {
  nl.close();
}

let stopping = false;
const thread = await EmulatorThread.start(
  { upFd: tunUp.fd, downFd: tunDown.fd, slots, slotSize: mtu, settings, seed, realtimePriority },
  (message) => {
    console.error(`wan_emulator: packet worker died: ${message}`);
    void shutdown(1);
  },
);

const handle = async (request: ControlRequest): Promise<WanStatus> => {
  if (request.op === "set") {
    settings = applyLinkPatch(settings, request.patch);
    await thread.configure(settings);
  }
  const { up, down } = await thread.stats();
  return { settings, stats: { up, down } };
};
const server = serveWanControl(values.socket, handle);

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await thread.stop();
  await server.close();
  tunUp.close();
  tunDown.close();
  Deno.exit(code);
}
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => void shutdown(0));
}

console.log(
  JSON.stringify({
    ready: true,
    up: tunUp.name,
    down: tunDown.name,
    socket: values.socket,
    pid: Deno.pid,
    realtime: thread.realtime,
  }),
);
