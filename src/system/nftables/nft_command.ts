/**
 * Running the `nft` binary: always an argument array (never a shell line), optionally inside
 * a network namespace through `ip netns exec`, with failures turned into one-line errors that
 * say what to do.
 */

export interface NftRunOptions {
  /** Run inside this network namespace (`ip netns exec NAME nft ...`); tests use this. */
  netns?: string;
  /** Text fed to nft's standard input (with `-f -`). */
  stdin?: string;
  /**
   * Kill nft if it has not finished after this long: it normally takes milliseconds, and a
   * hung child must not hang the daemon's setup or shutdown.
   * @default 10000
   */
  timeoutMs?: number;
}

/** A failed nft invocation; `message` is the one line to show the user. */
export class NftError extends Error {
  constructor(message: string, readonly stderr = "") {
    super(message);
    this.name = "NftError";
  }
}

export const NFT_NOT_FOUND =
  "nft not found: install nftables (apt install nftables / opkg install nftables)";
export const NFT_NEEDS_CAP_NET_ADMIN =
  "nft needs CAP_NET_ADMIN: run bond as root or grant it the capability";

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The program and arguments for `nft args...`, wrapped in `ip netns exec` when asked. */
export function nftCommandLine(
  args: readonly string[],
  netns?: string,
): { program: string; args: string[] } {
  if (netns === undefined) return { program: "nft", args: [...args] };
  if (!NETNS_NAME.test(netns)) {
    throw new RangeError(`network namespace name ${JSON.stringify(netns)} is not valid`);
  }
  return { program: "ip", args: ["netns", "exec", netns, "nft", ...args] };
}

/** The user-facing explanation of a failed nft run, from its exit code and stderr. */
export function explainNftFailure(code: number, stderr: string): string {
  // `ip netns exec` reports a missing program itself, with its own wording.
  if (/exec of "nft" failed: No such file or directory/.test(stderr)) return NFT_NOT_FOUND;
  if (/Operation not permitted|you must be root|Permission denied/.test(stderr)) {
    return NFT_NEEDS_CAP_NET_ADMIN;
  }
  const detail = stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(0, 3).join(" | ");
  return `nft failed (exit ${code}): ${detail || "no error output"}`;
}

/** Runs nft and returns its standard output; throws NftError with an actionable message. */
export async function runNft(
  args: readonly string[],
  options: NftRunOptions = {},
): Promise<string> {
  const { program, args: argv } = nftCommandLine(args, options.netns);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: argv,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NftError(
        program === "nft" ? NFT_NOT_FOUND : "ip not found: install iproute2 (needed for netns)",
      );
    }
    throw err;
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    } catch {
      // nft exited before reading everything; its status and stderr below say why.
    }
  }
  const result = await child.output();
  const stdout = new TextDecoder().decode(result.stdout);
  const stderr = new TextDecoder().decode(result.stderr);
  if (result.signal !== null) {
    throw new NftError(`nft did not finish within ${timeoutMs} ms (killed by ${result.signal})`);
  }
  if (result.code !== 0) throw new NftError(explainNftFailure(result.code, stderr), stderr);
  return stdout;
}
