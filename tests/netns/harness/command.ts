/**
 * Running external programs for the lab: one-shot commands with a hard timeout, and long-running
 * processes whose output is kept (bounded) for diagnostics and which can be stopped politely
 * (SIGTERM) and then firmly (SIGKILL).
 */

export interface ExecResult {
  /** Exit code; 128 + signal number when the process was killed by a signal. */
  code: number;
  stdout: string;
  stderr: string;
  /** True when the timeout fired and the process was killed. */
  timedOut: boolean;
}

export interface ExecOptions {
  /**
   * Kill the process (SIGKILL) after this many milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
  /** Text written to the process's standard input, which is then closed. */
  stdin?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 10_000;

/** Runs `argv` to completion (or until the timeout) and returns its exit code and output. */
export async function runCommand(
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  if (argv.length === 0) throw new Error("runCommand: argv must not be empty");
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killQuietly(child, "SIGKILL");
  }, timeoutMs);
  try {
    if (opts.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      // A process that exits without reading its input closes the pipe: that is its business,
      // its exit code tells the caller what happened.
      await writer.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.signal ? 128 + signalNumber(out.signal) : out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Formats a failed command for an error message: the argv, the exit code and its stderr. */
export function describeFailure(argv: readonly string[], result: ExecResult): string {
  const why = result.timedOut ? "timed out" : `exited with code ${result.code}`;
  const detail = (result.stderr.trim() || result.stdout.trim()).slice(0, 2000);
  return `${argv.join(" ")} ${why}${detail ? `: ${detail}` : ""}`;
}

export type OutputMode = "capture" | "inherit" | "null";

export interface SpawnOptions {
  env?: Record<string, string>;
  /**
   * What happens to stdout/stderr: kept in memory (last `captureBytes` of each), passed to this
   * process's own streams, or discarded.
   * @default "capture"
   */
  output?: OutputMode;
  /** @default 262144 */
  captureBytes?: number;
}

/** Grace period between SIGTERM and SIGKILL when stopping a process. */
export const STOP_GRACE_MS = 1000;

/** A long-running child process. */
export class SpawnedProcess {
  readonly argv: readonly string[];
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly status: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #exited: Deno.CommandStatus | null = null;
  #stdout: OutputTail;
  #stderr: OutputTail;
  #pumps: Promise<void>[] = [];

  constructor(argv: readonly string[], opts: SpawnOptions = {}) {
    if (argv.length === 0) throw new Error("SpawnedProcess: argv must not be empty");
    const mode = opts.output ?? "capture";
    const captureBytes = opts.captureBytes ?? 256 * 1024;
    this.argv = argv;
    this.#child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: mode === "capture" ? "piped" : mode,
      stderr: mode === "capture" ? "piped" : mode,
      env: opts.env,
    }).spawn();
    this.pid = this.#child.pid;
    this.#stdout = new OutputTail(captureBytes);
    this.#stderr = new OutputTail(captureBytes);
    if (mode === "capture") {
      this.#pumps.push(
        this.#stdout.pump(this.#child.stdout),
        this.#stderr.pump(this.#child.stderr),
      );
    }
    this.status = this.#child.status.then((s) => {
      this.#exited = s;
      return s;
    });
  }

  /** The exit status once the process has ended, otherwise null. */
  get exited(): Deno.CommandStatus | null {
    return this.#exited;
  }

  /** The captured standard output so far (its last `captureBytes` bytes). */
  stdout(): string {
    return this.#stdout.text();
  }

  /** The captured standard error so far (its last `captureBytes` bytes). */
  stderr(): string {
    return this.#stderr.text();
  }

  /** Sends a signal unless the process has already exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited === null) killQuietly(this.#child, signal);
  }

  /**
   * SIGTERM, then SIGKILL if the process is still alive after `graceMs`; resolves with the exit
   * status once the process is gone and its output has been read.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<Deno.CommandStatus> {
    this.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), graceMs);
    });
    const first = await Promise.race([this.status, grace]);
    clearTimeout(timer);
    if (first === "late") this.kill("SIGKILL");
    const status = await this.status;
    await Promise.all(this.#pumps);
    return status;
  }
}

/** Keeps the last `limit` bytes written to it, so a chatty process cannot exhaust memory. */
class OutputTail {
  #chunks: Uint8Array[] = [];
  #size = 0;
  constructor(readonly limit: number) {}

  async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of stream) this.#push(chunk);
    } catch {
      // The stream ends with an error when the process is killed mid-write; what was read stays.
    }
  }

  #push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - this.#chunks[0].length >= this.limit) {
      this.#size -= this.#chunks.shift()!.length;
    }
  }

  text(): string {
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      all.set(c, at);
      at += c.length;
    }
    const start = Math.max(0, this.#size - this.limit);
    return new TextDecoder().decode(all.subarray(start));
  }
}

function killQuietly(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // Already exited between our check and the kill: nothing left to do.
  }
}

const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function signalNumber(signal: Deno.Signal): number {
  return SIGNAL_NUMBERS[signal] ?? 0;
}
