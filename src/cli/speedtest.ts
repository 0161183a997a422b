/**
 * `bond speedtest [LINK] [--seconds N] [--json] [--server ADDR] [--set LINK]
 *  [-config FILE | -socket PATH]`: download and upload against the VPS's built-in responders,
 * run on the router while its daemon runs.
 *
 * Without LINK: through the bonded tunnel (the responder on the VPS's tunnel address). With
 * LINK: over that WAN link alone, past the tunnel, against the VPS's public link responder,
 * with a grant per phase asked for through the tunnel (link_speedtest_*.ts).
 *
 * `--set LINK` writes the measured rates into the daemon's config file as that link's seeds,
 * only where they describe that link: after a test of LINK itself, or after a bonded test when
 * the file names LINK and no other link (the bonded rate is then the link's rate).
 */
import { linkNamesIn, setLinkRates } from "../config/link_rates_writer.ts";
import { loadConfig, parseConfigText } from "../config/load.ts";
import type { BondConfig } from "../config/types.ts";
import { describeReadFailure } from "../config/read_failure.ts";
import { formatBytes, formatMbps } from "../control/human_units.ts";
import { measure, type PhaseResult } from "../control/speedtest_client.ts";
import { measureLink } from "../control/link_speedtest_client.ts";
import { requestGrant } from "../control/link_speedtest_grant.ts";
import { findLink, linkTarget, vpsPublicHost } from "../control/link_speedtest_target.ts";
import type { StatusDocument } from "../control/status_document.ts";
import { FWMARK } from "../system/routing_plan.ts";
import {
  DEFAULT_TEST_SECONDS,
  defaultResponderHost,
  LINK_SPEEDTEST_PORT,
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
  const linkName = positionals[0] as string | undefined;
  if (linkName !== undefined && values.set !== undefined && values.set !== linkName) {
    throw new UsageError(
      `speedtest: --set ${values.set} after a test of link "${linkName}" would write another ` +
        `link's rates; use --set ${linkName}, or test ${values.set}`,
    );
  }

  const status = await fetchStatus(await controlSocketFor("speedtest", values));
  if (status.role !== "router") {
    throw new Error("speedtest: run it on the router; the VPS is where its responder answers");
  }
  const configFile = status.config_file;
  if (values.set !== undefined) await checkSettable(configFile, values.set, linkName);
  const host = values.server ?? defaultResponderHost(status.interface.addresses);
  if (!host) {
    throw new Error("speedtest: cannot tell the VPS's tunnel address; give it with --server ADDR");
  }

  const tty = !values.json && Deno.stderr.isTerminal();
  const onProgress = tty ? progressBar(seconds) : undefined;
  const run = linkName === undefined
    ? bondedPhases(host, seconds, onProgress)
    : await linkPhases(linkName, status, configFile, host, seconds, onProgress);
  const results: Partial<Record<SpeedtestDirection, PhaseResult>> = {};
  for (const phase of ["download", "upload"] as const) {
    results[phase] = await run.phase(phase);
    if (tty) clearLine();
    if (!values.json) console.log(phaseLine(phase, results[phase]!));
  }
  const down = results.download!, up = results.upload!;
  if (values.json) {
    const mode = linkName === undefined ? { mode: "bonded" } : { mode: "link", link: linkName };
    console.log(JSON.stringify(
      { ...mode, server: run.server, seconds, download: down, upload: up },
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

type Progress = ((phase: SpeedtestDirection, bytes: number, elapsedMs: number) => void) | undefined;

interface PhaseRunner {
  /** host:port measured against, for --json. */
  server: string;
  phase(phase: SpeedtestDirection): Promise<PhaseResult>;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Through the tunnel, against the responder on the VPS's tunnel address. */
function bondedPhases(host: string, seconds: number, onProgress: Progress): PhaseRunner {
  const server = hostPort(host, SPEEDTEST_PORT);
  return {
    server,
    async phase(phase) {
      try {
        return await measure({ host, port: SPEEDTEST_PORT, seconds, onProgress }, phase);
      } catch (err) {
        throw new Error(`speedtest: ${phase} against ${server} failed: ${(err as Error).message}`);
      }
    },
  };
}

/**
 * Over one link, past the tunnel: each phase first asks the tunnel responder (`tunnelHost`) for
 * a grant, then runs against the VPS's public link responder, bound to the link and carrying
 * the tunnel's mark so the router's policy routing keeps it on that link's underlay.
 */
async function linkPhases(
  name: string,
  status: StatusDocument,
  configFile: string,
  tunnelHost: string,
  seconds: number,
  onProgress: Progress,
): Promise<PhaseRunner> {
  let config: BondConfig;
  try {
    config = await loadConfig(configFile);
  } catch (err) {
    throw new Error(
      `speedtest: cannot read the links of the daemon's config: ${(err as Error).message}`,
    );
  }
  let target;
  try {
    const link = findLink(config, name, configFile);
    target = linkTarget(link, await vpsPublicHost(status, config));
  } catch (err) {
    throw new Error(`speedtest: ${(err as Error).message}`);
  }
  const { link, host, source } = target;
  const via = [link.device && `device ${link.device}`, source && `source ${source}`]
    .filter(Boolean).join(", ") || "the default route";
  let port = LINK_SPEEDTEST_PORT;
  return {
    get server() {
      return hostPort(host, port);
    },
    async phase(phase) {
      let grant;
      try {
        grant = await requestGrant(tunnelHost);
      } catch (err) {
        throw new Error(
          `speedtest: cannot get a grant for the link test from ${
            hostPort(tunnelHost, SPEEDTEST_PORT)
          } through the tunnel: ${(err as Error).message} (check bond status: is the tunnel up?)`,
        );
      }
      port = grant.port;
      try {
        return measureLink(
          { host, device: link.device, source, mark: FWMARK, seconds, onProgress },
          phase,
          grant,
        );
      } catch (err) {
        throw new Error(
          `speedtest: ${phase} over link "${name}" (${via}) to ${hostPort(host, port)} failed: ` +
            `${(err as Error).message}` +
            " (is the link up? does the VPS's firewall let TCP " + port + " in?)",
        );
      }
    },
  };
}

/**
 * Refuses before measuring, so a long test is not wasted on a --set that cannot be written.
 * After a test of `tested` (a link), the file must name it; after a bonded test it must name
 * the link and no other.
 */
async function checkSettable(configFile: string, link: string, tested?: string): Promise<void> {
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
  if (names.length > 1 && tested === undefined) {
    throw new Error(
      `speedtest: --set ${link}: ${configFile} has ${names.length} links, and a test without ` +
        `LINK measures the bonded tunnel, which is not the rate of "${link}" alone: run ` +
        `bond speedtest ${link} --set ${link}`,
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
