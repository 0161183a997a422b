/**
 * `bond config --output FILE [--role router|vps] [--force]`: writes a starter config with a
 * fresh private key (mode 0600: it holds a secret) and prints this side's public key on stderr
 * for the user to paste into the other side's config.
 */
import { starterConfig } from "../config/template.ts";
import type { Role } from "../config/types.ts";
import { parseCommandArgs } from "./parse_command_args.ts";
import { UsageError } from "./usage_error.ts";

const ROLES: readonly Role[] = ["router", "vps"];

export async function configCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("config", args, {
    output: { type: "string" },
    role: { type: "string", default: "router" },
    force: { type: "boolean", default: false },
  });
  const output = values.output;
  if (output === undefined) {
    throw new UsageError("config: --output FILE is required (--output - for standard output)");
  }
  const role = values.role as Role;
  if (!ROLES.includes(role)) {
    throw new UsageError(`config: --role must be router or vps, got "${values.role}"`);
  }
  const { text, publicKey } = starterConfig(role);
  if (output === "-") {
    console.log(text.trimEnd());
  } else {
    await writeSecretFile(output, text, values.force);
    console.error(`wrote ${output} (role ${role})`);
  }
  const other = role === "router" ? "the VPS" : "the router";
  console.error(`public key: ${publicKey}`);
  console.error(
    `next: paste this public key into ${other}'s config (peers[].public_key), and ${other}'s ` +
      `public key into this one; then run: bond check -config ${output === "-" ? "FILE" : output}`,
  );
  return 0;
}

async function writeSecretFile(path: string, text: string, force: boolean): Promise<void> {
  try {
    await Deno.writeTextFile(path, text, { mode: 0o600, createNew: !force });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new Error(`config: ${path} already exists (use --force to overwrite it)`);
    }
    throw new Error(`config: cannot write ${path}: ${(e as Error).message}`);
  }
  // `mode` applies only when the file is created; an overwritten file may have been readable.
  await Deno.chmod(path, 0o600);
}
