/**
 * Talking to a running WAN emulator: what `deno task lab link wanN ...` and the tests use.
 */
import { type ControlRequest, readLine, type WanStatus, writeLine } from "./control_protocol.ts";
import { parseLinkCommand } from "./link_command.ts";
import { describeDirection, DIRECTIONS } from "./wan_settings.ts";

/** @default 3000 */
const DEFAULT_TIMEOUT_MS = 3000;

/** Sends one request to the emulator listening on `socketPath`; throws on any failure. */
export async function wanControl(
  socketPath: string,
  request: ControlRequest,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<WanStatus> {
  const conn = await Deno.connect({ transport: "unix", path: socketPath });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await writeLine(conn, request);
    const line = await readLine(conn).catch((err) => {
      throw new Error(
        `WAN emulator at ${socketPath} gave no answer within ${timeoutMs} ms: ${err.message}`,
      );
    });
    const answer = JSON.parse(line);
    if (answer.ok !== true) throw new Error(`WAN emulator at ${socketPath}: ${answer.error}`);
    return { settings: answer.settings, stats: answer.stats };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Already closed by the timer.
    }
  }
}

/**
 * Runs the words of a `link` command (see link_command.ts) against the emulator of `name` and
 * returns the text to print: its settings and counters after the change.
 */
export async function runLinkCommand(
  name: string,
  socketPath: string,
  words: readonly string[],
): Promise<string> {
  const command = parseLinkCommand(words);
  const status = await wanControl(
    socketPath,
    command.kind === "status" ? { op: "status" } : { op: "set", patch: command.patch },
  );
  return formatWanStatus(name, status);
}

/** Two lines per link direction: settings, then counters. */
export function formatWanStatus(name: string, status: WanStatus): string {
  const lines: string[] = [];
  for (const dir of DIRECTIONS) {
    const s = status.stats[dir];
    const arrow = dir === "down" ? "down (internet → router)" : "up   (router → internet)";
    lines.push(`${name} ${arrow}: ${describeDirection(status.settings[dir])}`);
    lines.push(
      `    packets: ${s.received} in, ${s.delivered} out, held ${s.held}; lost: ` +
        `${s.lostRandom} by loss, ${s.lostQueue} queue full, ${s.lostDown} link down, ` +
        `${s.lostOverflow} overflow, ${s.writeErrors} write errors`,
    );
  }
  return lines.join("\n");
}
