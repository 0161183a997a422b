/**
 * V8 flags the `bond` executable is built with (`deno task compile` bakes them in) and the lab
 * starts its daemons with, so both run the same engine settings.
 *
 * `--max-semi-space-size=1` (MiB): the data-path Workers make short-lived views at packet
 * rate, and V8 grows each isolate's young generation toward its default maximum under that
 * rate. Capped at 1 MiB the daemon stayed at 117-118 MB RSS under a 1.2 Gbit/s TCP flow,
 * against 124-127 MB uncapped, with throughput unchanged within the run-to-run spread
 * (`deno task bench tunnel`). The flag must be given at start: V8 sizes an isolate's heap
 * when it is created, and changing flags at run time did not reach the Workers (measured).
 */
export const DAEMON_V8_FLAGS: readonly string[] = ["--max-semi-space-size=1"];

/** The `deno run` / `deno compile` option that passes them. */
export function v8FlagsOption(): string {
  return `--v8-flags=${DAEMON_V8_FLAGS.join(",")}`;
}
