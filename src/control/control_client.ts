/**
 * The CLI's end of the control socket: one request, one response line. A missing socket or a
 * refused connection means no daemon is running, which `bond status` reports as exit 1.
 */
import {
  type ControlRequest,
  type ControlResponse,
  MAX_RESPONSE_BYTES,
} from "./control_protocol.ts";
import { LineReader } from "./line_reader.ts";
import { writeAll } from "./write_all.ts";

/** Nothing answers on the control socket. */
export class DaemonNotRunningError extends Error {
  constructor(readonly socketPath: string, reason: string) {
    super(`no bond daemon is running for ${socketPath}: ${reason}`);
    this.name = "DaemonNotRunningError";
  }
}

export async function controlRequest(
  socketPath: string,
  request: ControlRequest,
  timeoutMs = 10_000,
): Promise<ControlResponse> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path: socketPath });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new DaemonNotRunningError(socketPath, "the control socket does not exist");
    }
    if (err instanceof Deno.errors.ConnectionRefused) {
      throw new DaemonNotRunningError(socketPath, "connection refused (a stale socket file)");
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new Error(`permission denied on ${socketPath}: the control socket is for root only`);
    }
    throw new Error(`cannot connect to ${socketPath}: ${(err as Error).message}`);
  }
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await writeAll(conn, new TextEncoder().encode(JSON.stringify(request) + "\n"));
    const line = await new LineReader(conn, MAX_RESPONSE_BYTES).next();
    if (line === null) throw new Error(`the daemon at ${socketPath} closed without answering`);
    return JSON.parse(line) as ControlResponse;
  } catch (err) {
    if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) {
      throw new Error(`the daemon at ${socketPath} did not answer within ${timeoutMs} ms`);
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
