/**
 * The `bond` command line: normalise flags, pick the command, run it, map the outcome to an
 * exit code (0 success, 1 runtime or validation failure, 2 usage error). Errors are one line on
 * stderr (a config's problems one per line) unless --debug asks for stack traces.
 */
import { benchCommand } from "./bench.ts";
import { checkCommand } from "./check.ts";
import type { Command, GlobalOptions } from "./command.ts";
import { configCommand } from "./config_cmd.ts";
import { genkeyCommand } from "./genkey.ts";
import { normalizeFlags } from "./normalize_flags.ts";
import { pubkeyCommand } from "./pubkey.ts";
import { reloadCommand } from "./reload.ts";
import { runCommand } from "./run.ts";
import { speedtestCommand } from "./speedtest.ts";
import { statusCommand } from "./status.ts";
import { USAGE } from "./usage.ts";
import { UsageError } from "./usage_error.ts";
import { versionCommand } from "./version.ts";

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  check: checkCommand,
  config: configCommand,
  genkey: genkeyCommand,
  pubkey: pubkeyCommand,
  bench: benchCommand,
  version: versionCommand,
  status: statusCommand,
  reload: reloadCommand,
  speedtest: speedtestCommand,
};

const HELP_FLAGS = ["--help", "-h"];

export async function main(args: string[]): Promise<number> {
  const { global, rest } = takeGlobalFlags(normalizeFlags(args));
  try {
    return await dispatch(rest, global);
  } catch (e) {
    return report(e, global.debug);
  }
}

function dispatch(args: string[], global: GlobalOptions): Promise<number> {
  const end = args.indexOf("--");
  const flags = end < 0 ? args : args.slice(0, end);
  if (args.length === 0) {
    console.error(USAGE.trimEnd());
    return Promise.resolve(2);
  }
  if (args[0] === "help" || flags.some((a) => HELP_FLAGS.includes(a))) {
    console.log(USAGE.trimEnd());
    return Promise.resolve(0);
  }
  if (args[0] === "--version") return versionCommand(args.slice(1));
  // `bond -status` (the contract's spelling) is `bond status`, wherever the flag stands.
  const statusAt = flags.indexOf("--status");
  if (statusAt >= 0) return statusCommand(args.filter((_, i) => i !== statusAt));
  // `bond -config FILE` is the daemon, as users of Go-style tools expect.
  if (args[0].startsWith("-")) return runCommand(args, global);
  const command = Object.hasOwn(COMMANDS, args[0]) ? COMMANDS[args[0]] : undefined;
  if (!command) throw new UsageError(`unknown command "${args[0]}"`);
  return command(args.slice(1), global);
}

/** `--debug` may stand anywhere before `--`; it applies to every command. */
function takeGlobalFlags(args: string[]): { global: GlobalOptions; rest: string[] } {
  const end = args.indexOf("--");
  const flags = end < 0 ? args : args.slice(0, end);
  const tail = end < 0 ? [] : args.slice(end);
  const rest = flags.filter((a) => a !== "--debug");
  return { global: { debug: rest.length !== flags.length }, rest: [...rest, ...tail] };
}

function report(e: unknown, debug: boolean): number {
  if (e instanceof UsageError) {
    console.error(`bond: ${e.message}\nrun "bond help" for usage`);
    return 2;
  }
  if (debug && e instanceof Error && e.stack) {
    console.error(e.stack);
  } else {
    console.error(`bond: ${e instanceof Error ? e.message : String(e)}`);
  }
  return 1;
}
