/**
 * Starts the WAN emulator program inside an ISP's namespace and splices it into the routing
 * there (wan_routing.ts); returns a handle to change the link while it runs.
 */
import type { Lab } from "../../tests/netns/harness/netns.ts";
import type { SpawnedProcess } from "../../tests/netns/harness/command.ts";
import { waitFor } from "../../tests/netns/harness/wait_for.ts";
import { runLinkCommand, wanControl } from "./control_client.ts";
import type { WanStatus } from "./control_protocol.ts";
import { prepareSplice, routeThroughEmulator, type SpliceOptions } from "./wan_routing.ts";
import type { LinkPatch } from "./wan_settings.ts";

const PROGRAM = new URL("./wan_emulator.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
/** Deno's start-up plus opening two TUN devices; generous for a loaded 2-core machine. */
const READY_TIMEOUT_MS = 20_000;

/** A low real-time priority: above every normal task, below the kernel's own threads. */
const REALTIME_PRIORITY = 10;

export const UP_TUN = "emu_up";
export const DOWN_TUN = "emu_down";

export interface WanEmulatorOptions {
  /** Names the link in messages and in `deno task lab link NAME` ("wan1"). */
  name: string;
  /** The ISP's lab host. */
  host: string;
  /** Interface towards the router. */
  accessIf: string;
  /** Interface towards the internet. */
  transitIf: string;
  /** Largest packet; at least the MTU of both veths. @default 1500 */
  mtu?: number;
  /** Initial settings. @default transparent */
  settings?: LinkPatch;
  /** Packets held per direction at most. @default 8192 */
  slots?: number;
  /** Seed of the loss and jitter models. @default random */
  seed?: number;
  /**
   * Run the emulator's packet loop with real-time scheduling (SCHED_FIFO), so a busy machine
   * delays its packets as little as possible. Only the loop's thread gets it: the loop sleeps
   * whenever no packet is due, while the rest of the process (control, V8) could spin, and at
   * real-time priority a spinning thread starves its own packet loop and the machine (seen
   * with the whole process under chrt: the bench's WAN stopped forwarding). Where real-time
   * scheduling is not allowed (some containers) the loop runs normally. @default true
   */
  realtime?: boolean;
}

export interface WanEmulator {
  readonly name: string;
  readonly host: string;
  /** The control socket (in the lab's directory). */
  readonly socketPath: string;
  readonly process: SpawnedProcess;
  status(): Promise<WanStatus>;
  /** Changes the named settings; returns the result. */
  set(patch: LinkPatch): Promise<WanStatus>;
  /** Runs the words of a `link` command (link_command.ts); returns the text to print. */
  command(words: readonly string[]): Promise<string>;
}

export async function startWanEmulator(lab: Lab, o: WanEmulatorOptions): Promise<WanEmulator> {
  const splice: SpliceOptions = {
    accessIf: o.accessIf,
    transitIf: o.transitIf,
    upTun: UP_TUN,
    downTun: DOWN_TUN,
  };
  await prepareSplice(lab, o.host, splice);
  const socketPath = `${lab.tmpDir}/${o.name}.sock`;
  const argv = [
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    CONFIG,
    PROGRAM,
    "--socket",
    socketPath,
    "--up-tun",
    UP_TUN,
    "--down-tun",
    DOWN_TUN,
    "--mtu",
    String(o.mtu ?? 1500),
    "--slots",
    String(o.slots ?? 8192),
    "--settings",
    JSON.stringify(o.settings ?? {}),
    ...(o.seed === undefined ? [] : ["--seed", String(o.seed)]),
    ...((o.realtime ?? true) ? ["--realtime", String(REALTIME_PRIORITY)] : []),
  ];
  const process = lab.spawn(o.host, argv);
  await waitFor(() => process.exited !== null || process.stdout().includes('"ready":true'), {
    timeoutMs: READY_TIMEOUT_MS,
    what: `WAN emulator ${o.name} in ${o.host}`,
  });
  if (process.exited !== null) {
    await process.stop();
    throw new Error(
      `WAN emulator ${o.name} exited (${process.exited.code}): ${process.stderr().trim()}`,
    );
  }
  await routeThroughEmulator(lab, o.host, splice);
  return {
    name: o.name,
    host: o.host,
    socketPath,
    process,
    status: () => wanControl(socketPath, { op: "status" }),
    set: (patch) => wanControl(socketPath, { op: "set", patch }),
    command: (words) => runLinkCommand(o.name, socketPath, words),
  };
}
