/**
 * The serving half of a speed test, shared by the bonded responder (tunnel) and the link
 * responder (public, grant holders): given an accepted connection and its parsed request, send
 * for the requested time or receive until the client's end of stream and answer the receipt.
 */
import type { Logger } from "../log.ts";
import { CHUNK_BYTES, type SpeedtestRequest } from "./speedtest_protocol.ts";
import { writeAll } from "./write_all.ts";

/** After the requested duration, how long an upload may still take to finish. */
const UPLOAD_GRACE_MS = 5000;

/** Zero bytes: what a download sends. Shared: it is only ever read from. */
const CHUNK = new Uint8Array(CHUNK_BYTES);

/** Runs the test; failures end it quietly (a client going away is normal), logged at debug. */
export async function serveTest(
  conn: Deno.Conn,
  req: SpeedtestRequest,
  from: string,
  stopped: () => boolean,
  log: Logger,
): Promise<void> {
  log.info(`speedtest ${req.test} started`, { from, seconds: req.seconds });
  try {
    if (req.test === "download") await send(conn, req.seconds * 1000, stopped);
    else await receive(conn, req.seconds * 1000 + UPLOAD_GRACE_MS);
  } catch (err) {
    log.debug(`speedtest ${req.test} ended early: ${(err as Error).message}`, { from });
  }
}

async function send(conn: Deno.Conn, ms: number, stopped: () => boolean): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end && !stopped()) await writeAll(conn, CHUNK);
}

async function receive(conn: Deno.Conn, limitMs: number): Promise<void> {
  const buf = new Uint8Array(CHUNK_BYTES);
  const timer = setTimeout(() => closeQuietly(conn), limitMs);
  let bytes = 0;
  let first = 0;
  let last = 0;
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      last = performance.now();
      if (bytes === 0) first = last;
      bytes += n;
    }
  } finally {
    clearTimeout(timer);
  }
  const receipt = { bytes, ms: Math.round((last - first) * 1000) / 1000 };
  await writeAll(conn, new TextEncoder().encode(JSON.stringify(receipt) + "\n"));
}

/** One JSON line, best effort: the connection is closed right after either way. */
export async function answerLine(conn: Deno.Conn, value: unknown): Promise<void> {
  await writeAll(conn, new TextEncoder().encode(JSON.stringify(value) + "\n")).catch(() => {});
}

export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
