/**
 * Config file → YAML → validated BondConfig. Any failure, from an unreadable file to a YAML
 * syntax error (with line and column) to validation problems, is one ConfigError listing all.
 */
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { ConfigError } from "./config_error.ts";
import type { BondConfig } from "./types.ts";
import { validateConfig } from "./validate.ts";
import { describeReadFailure } from "./read_failure.ts";

/** Where `bond run` and `bond check` look when no -config is given. */
export const DEFAULT_CONFIG_PATH = "/etc/bond/bond.yaml";

export async function loadConfig(path: string): Promise<BondConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(path, [`cannot read config file: ${describeReadFailure(e)}`]);
  }
  return parseConfigText(text, path);
}

/**
 * Parses and validates config text. `path` names the file in messages and gives the directory
 * that relative `*_file` secrets are read from.
 */
export function parseConfigText(text: string, path: string): BondConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(path, doc.errors.map((e) => yamlProblem(e, lines, text)));
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    // e.g. an alias expanded beyond the library's limit (a "billion laughs" file).
    throw new ConfigError(path, [`yaml: ${(e as Error).message}`]);
  }
  const result = validateConfig(value, { baseDir: dirname(resolve(path)) });
  if (!result.ok) throw new ConfigError(path, result.problems);
  return result.config;
}

function yamlProblem(e: YAMLError, lines: LineCounter, text: string): string {
  const at = lines.linePos(e.pos[0]);
  const line = text.split("\n")[at.line - 1] ?? "";
  return `yaml (line ${at.line}, column ${at.col}): ${e.message}${yamlHint(line)}`;
}

/**
 * `endpoint: [2001:db8::1]:65535` is the contract's IPv6 endpoint form, but unquoted YAML reads
 * the brackets as a list; say how to fix it instead of leaving the parser's words alone.
 */
function yamlHint(line: string): string {
  const m = /^\s*(-\s+)?([\w-]+):\s*(\[[0-9A-Fa-f:.]+\]:\d+)\s*(#.*)?$/.exec(line);
  return m ? ` (quote the IPv6 endpoint: ${m[2]}: "${m[3]}")` : "";
}
