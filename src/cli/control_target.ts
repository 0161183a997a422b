/**
 * Which daemon a command talks to: `-socket PATH`, or the control socket named by a config
 * file (`-config FILE`, default /etc/bond/bond.yaml). Without either flag and without the default
 * file, the default interface's socket is tried, as on a system configured elsewhere.
 */
import { controlSocketOf } from "../config/control_socket_of.ts";
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";
import { describeReadFailure } from "../config/read_failure.ts";
import { defaultControlSocket } from "../config/validate_operations.ts";
import { UsageError } from "./usage_error.ts";

export const CONTROL_TARGET_FLAGS = {
  config: { type: "string" },
  socket: { type: "string" },
} as const;

export async function controlSocketFor(
  command: string,
  values: { config?: string; socket?: string },
): Promise<string> {
  if (values.config !== undefined && values.socket !== undefined) {
    throw new UsageError(`${command}: give -config FILE or -socket PATH, not both`);
  }
  if (values.socket !== undefined) return values.socket;
  const path = values.config ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (values.config === undefined && e instanceof Deno.errors.NotFound) {
      return defaultControlSocket("bnd0");
    }
    throw new Error(
      `${command}: cannot read ${path}: ${describeReadFailure(e)} (or give -socket PATH)`,
    );
  }
  try {
    return controlSocketOf(text);
  } catch (e) {
    throw new Error(`${command}: ${path} is not YAML: ${(e as Error).message}`);
  }
}
