/**
 * Builds the single `bond` executable with `deno compile`.
 *
 *   deno task compile [--target x86_64-unknown-linux-gnu|aarch64-unknown-linux-gnu] [--output PATH]
 *
 * `deno compile` needs a `denort` base binary of the same Deno version for the target. It
 * downloads one unless DENORT_BIN names a local file (offline builds). When neither works this
 * says exactly which file is missing and how to provide it, instead of Deno's network error.
 */
import { parseArgs } from "node:util";
import { v8FlagsOption } from "../src/v8_flags.ts";

const TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];
const { values } = parseArgs({
  args: Deno.args,
  options: {
    target: { type: "string", default: Deno.build.target },
    output: { type: "string" },
  },
});
const target = values.target!;
if (!TARGETS.includes(target)) {
  console.error(`compile: unsupported target ${target} (supported: ${TARGETS.join(", ")})`);
  Deno.exit(2);
}
const root = new URL("..", import.meta.url).pathname;
const output = values.output ?? `${root}dist/bond-${target}`;
await Deno.mkdir(`${root}dist`, { recursive: true });

const denort = Deno.env.get("DENORT_BIN");
if (denort) {
  try {
    await Deno.stat(denort);
  } catch {
    console.error(`compile: DENORT_BIN=${denort} does not exist`);
    Deno.exit(1);
  }
}

const args = [
  "compile",
  "-A",
  "--no-check",
  // The daemon's engine settings (src/v8_flags.ts), the same the lab runs it with.
  v8FlagsOption(),
  "--target",
  target,
  // Workers are loaded by URL at run time: they must be embedded explicitly.
  "--include",
  `${root}src/datapath/`,
  "--include",
  `${root}src/mptcp/split_worker.ts`,
  "--output",
  output,
  `${root}main.ts`,
];
const result = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "piped" })
  .output();
const err = new TextDecoder().decode(result.stderr);
if (!result.success) {
  const version = Deno.version.deno;
  if (!denort && /dl\.deno\.land|error sending request|dns error/.test(err)) {
    console.error(
      `compile: the denort base binary for ${target} could not be downloaded (no network).\n` +
        `  missing: denort-${target}.zip of Deno ${version} (the Deno release assets)\n` +
        `  fix: copy it here, unzip it, and run  DENORT_BIN=/path/to/denort deno task compile`,
    );
  } else {
    console.error(err.trim());
  }
  Deno.exit(1);
}
console.error(err.trim());
console.log(output);
