/**
 * `bond speedtest [LINK] [--seconds N] [--json] [--server ADDR] [--set LINK]
 *  [-config FILE | -socket PATH]`: download and upload through the bonded tunnel against the
 * VPS's built-in responder, run on the router while its daemon runs.
 *
 * Per-link tests (LINK) need the bonding layer's per-link sockets, which this build does not
 * have: asking for one is an error that says so. `--set LINK` writes the measured rates into
 * the daemon's config file as that link's seeds, only where they describe that link: the file
 * must name LINK and have no other link (the bonded rate is then the link's rate).
 */
import { linkNamesIn, setLinkRates } from "../config/link_rates_writer.ts";
import { parseConfigText } from "../config/load.ts";
import { describeReadFailure } from "../config/read_failure.ts";
import { formatBytes, formatMbps } from "../control/human_units.ts";
import { measure, type PhaseResult } from "../control/speedtest_client.ts";
import {
  DEFAULT_TEST_SECONDS,
  defaultResponderHost,
  MAX_TEST_SECONDS,
  SPEEDTEST_PORT,
  type SpeedtestDirection,
} from "../control/speedtest_protocol.ts";
import { CONTROL_TARGET_FLAGS, controlSocketFor } from "./control_target.ts";
import { fetchStatus } from "./daemon_status.ts";
import { parseCommandArgs } from "./parse_command_args.ts";
import { UsageError } from "./usage_error.ts";

const BAR_WIDTH = 30;

export async function speedtestCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("speedtest", args, {
    ...CONTROL_TARGET_FLAGS,
    json: { type: "boolean", default: false },
    seconds: { type: "string", default: String(DEFAULT_TEST_SECONDS) },
    server: { type: "string" },
    set: { type: "string" },
  }, true);
  if (positionals.length > 1) throw new UsageError("speedtest: at most one LINK");
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TEST_SECONDS) {
    throw new UsageError(
      `speedtest: --seconds wants a number above 0 and at most ${MAX_TEST_SECONDS}, got "${values.seconds}"`,
    );
  }
  if (positionals.length === 1) {
    throw new Error(
      `speedtest: testing link "${positionals[0]}" alone needs per-link sockets, which come with ` +
        `the bonding layer; this build measures the bonded tunnel only (run bond speedtest without LINK)`,
    );
  }

  const status = await fetchStatus(await controlSocketFor("speedtest", values));
  if (status.role !== "router") {
    throw new Error("speedtest: run it on the router; the VPS is where its responder answers");
  }
  const configFile = status.config_file;
  if (values.set !== undefined) await checkSettable(configFile, values.set);
  const host = values.server ?? defaultResponderHost(status.interface.addresses);
  if (!host) {
    throw new Error("speedtest: cannot tell the VPS's tunnel address; give it with --server ADDR");
  }

  const tty = !values.json && Deno.stderr.isTerminal();
  const target = {
    host,
    port: SPEEDTEST_PORT,
    seconds,
    onProgress: tty ? progressBar(seconds) : undefined,
  };
  const results: Partial<Record<SpeedtestDirection, PhaseResult>> = {};
  for (const phase of ["download", "upload"] as const) {
    try {
      results[phase] = await measure(target, phase);
    } catch (err) {
      throw new Error(
        `speedtest: ${phase} against ${host}:${SPEEDTEST_PORT} failed: ${(err as Error).message}`,
      );
    }
    if (tty) clearLine();
    if (!values.json) console.log(phaseLine(phase, results[phase]!));
  }
  const down = results.download!, up = results.upload!;
  if (values.json) {
    console.log(JSON.stringify(
      {
        mode: "bonded",
        server: `${host.includes(":") ? `[${host}]` : host}:${SPEEDTEST_PORT}`,
        seconds,
        download: down,
        upload: up,
      },
      null,
      2,
    ));
  }
  if (values.set !== undefined) {
    await writeRates(configFile, values.set, down.mbps, up.mbps);
    console.error(
      `wrote links "${values.set}" down_mbps/up_mbps into ${configFile}; bond reload reads it`,
    );
  }
  return 0;
}

function phaseLine(phase: SpeedtestDirection, r: PhaseResult): string {
  return `${phase.padEnd(8)}  ${formatMbps(r.mbps)}  (${formatBytes(r.bytes)} in ${
    (r.ms / 1000).toFixed(1)
  } s)`;
}

/** Refuses before measuring, so a long test is not wasted on a --set that cannot be written. */
async function checkSettable(configFile: string, link: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(configFile);
  } catch (e) {
    throw new Error(
      `speedtest: --set ${link}: cannot read the daemon's config ${configFile}: ${
        describeReadFailure(e)
      }`,
    );
  }
  const names = linkNamesIn(text);
  if (!names.includes(link)) {
    throw new Error(
      names.length === 0
        ? `speedtest: --set ${link}: ${configFile} has no links list naming "${link}"`
        : `speedtest: --set ${link}: no such link in ${configFile} (links: ${names.join(", ")})`,
    );
  }
  if (names.length > 1) {
    throw new Error(
      `speedtest: --set ${link}: ${configFile} has ${names.length} links, and this build measures ` +
        `only the bonded tunnel, which is not the rate of "${link}" alone`,
    );
  }
}

/** Writes beside the file and renames over it, keeping its mode: never half a config. */
async function writeRates(path: string, link: string, down: number, up: number): Promise<void> {
  const text = setLinkRates(await Deno.readTextFile(path), link, { downMbps: down, upMbps: up });
  parseConfigText(text, path);
  const mode = (await Deno.stat(path)).mode ?? 0o600;
  const temp = `${path}.bond-speedtest-${Deno.pid}`;
  try {
    await Deno.writeTextFile(temp, text, { mode: mode & 0o777, createNew: true });
    await Deno.chmod(temp, mode & 0o777);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

function progressBar(seconds: number) {
  return (phase: SpeedtestDirection, bytes: number, elapsedMs: number) => {
    const done = Math.min(1, elapsedMs / (seconds * 1000));
    const filled = Math.round(done * BAR_WIDTH);
    const rate = elapsedMs > 0 ? formatMbps((bytes * 8) / (elapsedMs * 1000)) : "";
    const bar = "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
    Deno.stderr.writeSync(
      new TextEncoder().encode(`\r\x1b[2K${phase.padEnd(8)}  [${bar}] ${rate}`),
    );
  };
}

function clearLine(): void {
  Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K"));
}
