/**
 * Strict node:util parseArgs for one command, with its errors turned into UsageErrors that
 * read as one short line ("check: unknown flag --jsn").
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UsageError } from "./usage_error.ts";

export function parseCommandArgs<T extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(`${command}: ${describeParseError(e)}`);
  }
}

function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const quoted = /'([^' ]+)/.exec(err.message ?? "")?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${quoted}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing|ambiguous/.test(err.message ?? "")
        ? `${quoted} needs a value`
        : `${quoted} takes no value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${quoted}`;
    default:
      return err.message ?? String(e);
  }
}
