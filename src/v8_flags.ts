/**
 * V8 flags the `bond` executable is built with (`deno task compile` bakes them in) and the lab
 * starts its daemons with, so both run the same engine settings; and the one collection they
 * allow the daemon to ask for.
 *
 * `--max-semi-space-size=1` (MiB): the data-path Workers make short-lived views at packet
 * rate, and V8 grows each isolate's young generation toward its default maximum under that
 * rate. Capped at 1 MiB the daemon stayed at 117-118 MB RSS under a 1.2 Gbit/s TCP flow,
 * against 124-127 MB uncapped, with throughput unchanged within the run-to-run spread
 * (`deno task bench tunnel`). The flag must be given at start: V8 sizes an isolate's heap
 * when it is created, and changing flags at run time did not reach the Workers (measured).
 *
 * `--expose-gc`: lets the daemon collect once when it has started (collectStartupGarbage).
 */
export const DAEMON_V8_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--expose-gc"];

/** The `deno run` / `deno compile` option that passes them. */
export function v8FlagsOption(): string {
  return `--v8-flags=${DAEMON_V8_FLAGS.join(",")}`;
}

/**
 * A full collection of this thread's heap, once its start-up is over. Loading modules, parsing
 * the configuration and building the data path leave garbage in the old generation, and V8
 * collects the old generation only when it grows past a limit, or when the isolate is idle,
 * which a data-path Worker blocked in its FFI loop never is: the daemon kept that garbage for
 * good (no mark-compact in a trace of start-up plus 5 s of TCP at 2 Gbit/s). Collected at
 * "tunnel up" and in each Worker before its loop starts, the daemon's RSS was 2-3 MB lower
 * idle and under load (116.3-117.7 MB against 119.0-122.3, three pairs each, same run).
 * Without `--expose-gc` (a plain `deno run`) it does nothing.
 */
export function collectStartupGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
