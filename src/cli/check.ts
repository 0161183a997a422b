/**
 * `bond check [-config FILE]`: validates a config. On success one line on stdout; on failure
 * the ConfigError reaches main, which prints every problem on stderr and exits 1.
 */
import { DEFAULT_CONFIG_PATH, loadConfig } from "../config/load.ts";
import type { BondConfig } from "../config/types.ts";
import { parseCommandArgs } from "./parse_command_args.ts";

export async function checkCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("check", args, {
    config: { type: "string", default: DEFAULT_CONFIG_PATH },
  });
  const config = await loadConfig(values.config);
  console.log(`ok: ${values.config} (${summarize(config)})`);
  return 0;
}

/** "role router, 1 peer, 2 links". */
export function summarize(config: BondConfig): string {
  const parts = [`role ${config.role}`, count(config.peers.length, "peer")];
  if (config.role === "router") parts.push(count(config.links.length, "link"));
  return parts.join(", ");
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
