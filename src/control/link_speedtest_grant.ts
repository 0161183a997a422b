/**
 * Asks the VPS's bonded responder, through the tunnel, for a grant to run one per-link test
 * phase against its public link responder. Reaching that responder at all proves the router is
 * one of the VPS's peers; the token it answers is what the link responder checks.
 */
import { LineReader } from "./line_reader.ts";
import {
  type GrantAnswer,
  MAX_REQUEST_LINE,
  parseGrantAnswer,
  SPEEDTEST_PORT,
} from "./speedtest_protocol.ts";
import { writeAll } from "./write_all.ts";

const GRANT_TIMEOUT_MS = 5000;

/** `host` is the VPS's tunnel address. Throws with what went wrong. */
export async function requestGrant(host: string, port = SPEEDTEST_PORT): Promise<GrantAnswer> {
  const conn = await connectBounded(host, port);
  const timer = setTimeout(() => conn.close(), GRANT_TIMEOUT_MS);
  try {
    await writeAll(conn, new TextEncoder().encode(JSON.stringify({ grant: "link" }) + "\n"));
    const line = await new LineReader(conn, MAX_REQUEST_LINE).next();
    if (line === null) {
      throw new Error("the responder closed without an answer (it serves the VPS's peers only)");
    }
    return parseGrantAnswer(line);
  } catch (err) {
    if (err instanceof Deno.errors.BadResource) {
      throw new Error(`no answer within ${GRANT_TIMEOUT_MS} ms`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}

/** Deno.connect with a deadline: a tunnel that is down must not hang the command. */
async function connectBounded(host: string, port: number): Promise<Deno.TcpConn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname: host, port });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no connection within ${GRANT_TIMEOUT_MS} ms (is the tunnel up?)`)),
      GRANT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([connecting, timeout]);
  } catch (err) {
    // A connection made after the deadline is closed, not leaked.
    connecting.then((c) => c.close(), () => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
