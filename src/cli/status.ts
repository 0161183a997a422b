/**
 * `bond status` / `bond -status [-config FILE | -socket PATH] [--json] [--watch [--count N]]`:
 * the running daemon's status as a table (or JSON). Exit 1 when no daemon answers.
 * `--watch` redraws every second on a terminal and prints one block (one JSON line with --json)
 * per second otherwise, until Ctrl-C or N refreshes.
 */
import { formatStatus } from "../control/status_text.ts";
import type { StatusDocument } from "../control/status_document.ts";
import { CONTROL_TARGET_FLAGS, controlSocketFor } from "./control_target.ts";
import { fetchStatus } from "./daemon_status.ts";
import { parseCommandArgs } from "./parse_command_args.ts";
import { UsageError } from "./usage_error.ts";

const WATCH_INTERVAL_MS = 1000;
/** Home the cursor and clear the screen. */
const CLEAR = "\x1b[H\x1b[2J";

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("status", args, {
    ...CONTROL_TARGET_FLAGS,
    json: { type: "boolean", default: false },
    watch: { type: "boolean", default: false },
    count: { type: "string" },
  });
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw new UsageError(
      `status: --count wants a whole number of refreshes, got "${values.count}"`,
    );
  }
  if (count !== undefined && !values.watch) {
    throw new UsageError("status: --count goes with --watch");
  }
  const socket = await controlSocketFor("status", values);
  const render = (doc: StatusDocument) =>
    values.json
      ? JSON.stringify(doc, null, values.watch ? undefined : 2) + "\n"
      : formatStatus(doc);

  if (!values.watch) {
    await write(render(await fetchStatus(socket)));
    return 0;
  }
  return await watch(socket, render, count, values.json);
}

async function watch(
  socket: string,
  render: (doc: StatusDocument) => string,
  count: number | undefined,
  json: boolean,
): Promise<number> {
  const tty = Deno.stdout.isTerminal();
  let stop: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => (stop = resolve));
  let done = false;
  const onInterrupt = () => {
    done = true;
    stop();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    for (let i = 0; !done && (count === undefined || i < count); i++) {
      const text = render(await fetchStatus(socket));
      if (tty) await write(CLEAR + text + `\n(every ${WATCH_INTERVAL_MS / 1000}s; Ctrl-C ends)\n`);
      // Piped: blocks apart by a blank line; JSON one document per line.
      else await write(i > 0 && !json ? "\n" + text : text);
      if (count !== undefined && i + 1 >= count) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        interrupted,
        new Promise<void>((r) => (timer = setTimeout(r, WATCH_INTERVAL_MS))),
      ]);
      clearTimeout(timer);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  return 0;
}

async function write(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
}
