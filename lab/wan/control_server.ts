/**
 * The emulator's side of the control channel (see control_protocol.ts): accepts connections on
 * a Unix socket, answers one request per connection. A bad request gets `{ok: false, error}`;
 * nothing a client sends can stop the server.
 */
import {
  type ControlRequest,
  type ControlResponse,
  readLine,
  type WanStatus,
  writeLine,
} from "./control_protocol.ts";
import { checkLinkPatch, type LinkPatch } from "./wan_settings.ts";

/** A client that sends nothing for this long is dropped. */
const REQUEST_TIMEOUT_MS = 2000;

export interface ControlServer {
  readonly path: string;
  /** Stops accepting, removes the socket file. */
  close(): Promise<void>;
}

/** Listens on `path` (replacing a stale socket file) and answers with `handle`. */
export function serveWanControl(
  path: string,
  handle: (request: ControlRequest) => Promise<WanStatus>,
): ControlServer {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const listener = Deno.listen({ transport: "unix", path });
  const connections = new Set<Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const done = answer(conn, handle).finally(() => connections.delete(done));
        connections.add(done);
      }
    } catch (err) {
      // The listener was closed: that is how the loop ends.
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  })();
  return {
    path,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(connections);
      try {
        Deno.removeSync(path);
      } catch {
        // Already gone (the lab's directory was removed first).
      }
    },
  };
}

async function answer(
  conn: Deno.Conn,
  handle: (request: ControlRequest) => Promise<WanStatus>,
): Promise<void> {
  const timer = setTimeout(() => conn.close(), REQUEST_TIMEOUT_MS);
  let response: ControlResponse;
  try {
    const request = parseRequest(await readLine(conn));
    response = { ok: true, ...(await handle(request)) };
  } catch (err) {
    response = { ok: false, error: (err as Error).message };
  }
  try {
    await writeLine(conn, response);
  } catch {
    // The client went away (or timed out): nothing to tell it.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer.
    }
  }
}

/** Validates a request line; throws with what was wrong. */
export function parseRequest(line: string): ControlRequest {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    throw new Error(`request is not JSON: ${line.slice(0, 200)}`);
  }
  const r = request as { op?: unknown; patch?: unknown };
  if (r?.op === "status") return { op: "status" };
  if (r?.op === "set") {
    checkLinkPatch(r.patch as LinkPatch, "patch");
    return { op: "set", patch: r.patch as LinkPatch };
  }
  throw new Error(`unknown op ${JSON.stringify(r?.op)} (want status or set)`);
}
