/**
 * The daemon's end of the control socket: a Unix stream socket (mode 0600 in a 0700 directory,
 * so only root talks to the daemon) answering one JSON line per request line.
 *
 * A socket file left by a crashed run is replaced (nothing answers on it); a socket another
 * running daemon answers on is left alone and this daemon runs without one (it says so), since
 * the tunnel matters more than its status. Stopping closes the socket and removes the file.
 */
import type { Logger } from "../log.ts";
import { CONTROL_SOCKET_DIR } from "../config/validate_operations.ts";
import {
  type ControlRequest,
  type ControlResponse,
  MAX_REQUEST_BYTES,
  parseRequest,
} from "./control_protocol.ts";
import { LineReader } from "./line_reader.ts";
import { writeAll } from "./write_all.ts";

/** Answers a request; the `ok`/`id` envelope is added by the server. */
export type ControlHandler = (req: ControlRequest) => Promise<ControlResponse>;

/** A client that sends nothing for this long is disconnected. */
const IDLE_TIMEOUT_MS = 60_000;
/** Connections served at once; more are answered with an error and closed. */
const MAX_CONNECTIONS = 16;

export class ControlServer {
  readonly #connections = new Set<Deno.Conn>();
  #closed = false;
  readonly #loop: Promise<void>;

  private constructor(
    readonly path: string,
    private readonly listener: Deno.Listener,
    private readonly handle: ControlHandler,
    private readonly log: Logger,
  ) {
    this.#loop = this.#acceptLoop();
  }

  /**
   * Listens on `path`. Returns undefined (after logging why) when another live daemon answers
   * there; throws when the path cannot be used at all.
   */
  static async open(
    path: string,
    handle: ControlHandler,
    log: Logger,
  ): Promise<ControlServer | undefined> {
    await prepareDirectory(path);
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ transport: "unix", path });
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse)) throw err;
      if (await someoneAnswers(path)) {
        log.warn(
          `control socket ${path} is in use by another running bond; this one runs without a ` +
            `control socket (give each daemon its own control.socket)`,
        );
        return undefined;
      }
      await removeStaleSocket(path);
      log.info("replaced a stale control socket left by an earlier run", { path });
      listener = Deno.listen({ transport: "unix", path });
    }
    await Deno.chmod(path, 0o600);
    return new ControlServer(path, listener, handle, log);
  }

  /** Stops accepting, drops open connections and removes the socket file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.listener.close();
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#loop;
    // Closing a Unix listener unlinks its path in Deno; make sure of it either way.
    await Deno.remove(this.path).catch(() => {});
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        if (this.#connections.size >= MAX_CONNECTIONS) {
          await this.#reply(conn, { ok: false, error: "too many control connections" })
            .catch(() => {});
          closeQuietly(conn);
          continue;
        }
        this.#connections.add(conn);
        this.#serve(conn).finally(() => {
          this.#connections.delete(conn);
          closeQuietly(conn);
        });
      }
    } catch (err) {
      if (!this.#closed) this.log.error(`control socket stopped: ${(err as Error).message}`);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const lines = new LineReader(conn, MAX_REQUEST_BYTES);
    let idle = setTimeout(() => closeQuietly(conn), IDLE_TIMEOUT_MS);
    try {
      for (;;) {
        const line = await lines.next();
        if (line === null) return;
        clearTimeout(idle);
        if (line.trim() !== "") await this.#reply(conn, await this.#answer(line));
        idle = setTimeout(() => closeQuietly(conn), IDLE_TIMEOUT_MS);
      }
    } catch (err) {
      // A client that goes away or sends garbage ends its own connection, nothing else.
      if (!this.#closed) this.log.debug(`control connection ended: ${(err as Error).message}`);
    } finally {
      clearTimeout(idle);
    }
  }

  async #answer(line: string): Promise<ControlResponse> {
    const req = parseRequest(line);
    if ("error" in req) return { ok: false, error: req.error };
    const withId = <T extends ControlResponse>(r: T): T =>
      req.id === undefined ? r : { ...r, id: req.id };
    try {
      return withId(await this.handle(req));
    } catch (err) {
      return withId({ ok: false, error: (err as Error).message });
    }
  }

  #reply(conn: Deno.Conn, response: ControlResponse): Promise<void> {
    return writeAll(conn, new TextEncoder().encode(JSON.stringify(response) + "\n"));
  }
}

/** The default directory is ours and kept 0700; a directory named by control.socket is made if missing. */
async function prepareDirectory(path: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  if (dir === CONTROL_SOCKET_DIR) await Deno.chmod(dir, 0o700);
}

async function someoneAnswers(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  const info = await Deno.lstat(path);
  if (!info.isSocket) {
    throw new Error(
      `control socket path ${path} exists and is not a socket; remove it or set control.socket`,
    );
  }
  await Deno.remove(path);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
