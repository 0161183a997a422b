/**
 * `bond -config FILE` / `bond run [-config FILE]`: load and validate the config, then hand over
 * to the daemon. The daemon module is imported only here, so the other commands start without
 * loading the data path.
 */
import { DEFAULT_CONFIG_PATH, loadConfig } from "../config/load.ts";
import type { GlobalOptions } from "./command.ts";
import { parseCommandArgs } from "./parse_command_args.ts";

export async function runCommand(args: string[], global: GlobalOptions): Promise<number> {
  const { values } = parseCommandArgs("run", args, {
    config: { type: "string", default: DEFAULT_CONFIG_PATH },
  });
  const config = await loadConfig(values.config);
  const { runDaemon } = await import("../roles/daemon.ts");
  return await runDaemon(config, { configPath: values.config, debug: global.debug });
}
