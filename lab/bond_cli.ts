/**
 * Runs the `bond` command line (`deno run -A main.ts ...`) the way a user on a lab host would:
 * inside the host's namespace, with a hard timeout, returning exit code and output.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import type { ExecResult } from "../tests/netns/harness/command.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

export function bondCli(
  lab: Lab,
  host: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<ExecResult> {
  return lab.exec(host, [Deno.execPath(), "run", "-A", MAIN, ...args], { timeoutMs });
}
