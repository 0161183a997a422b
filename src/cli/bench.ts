/** `bond bench crypto`: AEAD throughput of each crypto backend available on this machine. */
import { parseCommandArgs } from "./parse_command_args.ts";
import { UsageError } from "./usage_error.ts";

const TARGETS = ["crypto"];

export async function benchCommand(args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs("bench", args, {}, true);
  if (positionals.length !== 1 || !TARGETS.includes(positionals[0])) {
    const seen = positionals.length === 0 ? "nothing" : `"${positionals.join(" ")}"`;
    throw new UsageError(`bench: want one of: ${TARGETS.join(", ")} (got ${seen})`);
  }
  const { runCryptoBench } = await import("../crypto/bench.ts");
  await runCryptoBench();
  return 0;
}
