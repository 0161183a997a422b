/**
 * The VPS's link responder: the speed test protocol on its public addresses (TCP
 * LINK_SPEEDTEST_PORT, IPv6 and IPv4), so a router can measure one WAN link past the tunnel.
 * Public means anyone can connect, so a test runs only for a request carrying a grant the
 * bonded responder handed out through the tunnel (link_speedtest_grants.ts: single use, short
 * lived). Anything else is closed at once and logged at info, one identical line per refusal
 * so the logger's repeat limit keeps a scan from flooding the log.
 *
 * Bounds: at most MAX_CONCURRENT_TESTS tests, at most MAX_PENDING connections still owing their
 * request line, which they must send within REQUEST_TIMEOUT_MS; each test at most
 * MAX_TEST_SECONDS (the protocol's bound).
 */
import type { Logger } from "../log.ts";
import { LineReader } from "./line_reader.ts";
import type { LinkGrants } from "./link_speedtest_grants.ts";
import { MAX_CONCURRENT_TESTS } from "./speedtest_responder.ts";
import { MAX_REQUEST_LINE, parseSpeedtestRequest } from "./speedtest_protocol.ts";
import { answerLine, closeQuietly, serveTest } from "./speedtest_serve.ts";

const NO_GRANT = "no valid grant: ask for a grant through the tunnel first";
/** Connections that have not yet shown a grant: a scanner must not hold more than these. */
const MAX_PENDING = 16;
/** Time for a client to send its request line; a router with its grant sends it at once. */
const REQUEST_TIMEOUT_MS = 3000;

export class LinkSpeedtestResponder {
  readonly #listeners: Deno.Listener[] = [];
  readonly #active = new Set<Deno.Conn>();
  readonly #pending = new Set<Deno.Conn>();
  /** host:port of each listener, for status. */
  readonly listening: string[] = [];
  #closed = false;

  /**
   * Listens on `[::]:port` and `0.0.0.0:port`. Where the kernel makes the IPv6 socket dual
   * stack (the default, net.ipv6.bindv6only=0) it already takes IPv4 and the second bind finds
   * the port in use: that is expected and not logged as a problem. A host without IPv6 gets
   * the IPv4 listener alone.
   */
  constructor(
    port: number,
    private readonly grants: LinkGrants,
    private readonly log: Logger,
    hosts: readonly string[] = ["::", "0.0.0.0"],
  ) {
    for (const host of hosts) {
      try {
        const listener = Deno.listen({ transport: "tcp", hostname: host, port });
        this.#listeners.push(listener);
        this.listening.push(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);
        this.#accept(listener);
      } catch (err) {
        const covered = err instanceof Deno.errors.AddrInUse && this.#listeners.length > 0;
        if (covered) continue;
        log.warn(
          `speedtest link responder cannot listen on ${host}:${port}: ${(err as Error).message}`,
        );
      }
    }
  }

  stop(): void {
    this.#closed = true;
    for (const l of this.#listeners) l.close();
    for (const c of [...this.#active, ...this.#pending]) closeQuietly(c);
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    try {
      for await (const conn of listener) {
        if (this.#pending.size >= MAX_PENDING) {
          void this.#refuse(conn, "too many connections waiting; try again in a minute");
          continue;
        }
        this.#pending.add(conn);
        this.#admit(conn).finally(() => {
          this.#pending.delete(conn);
          this.#active.delete(conn);
          closeQuietly(conn);
        });
      }
    } catch (err) {
      if (!this.#closed) {
        this.log.warn(`speedtest link responder stopped: ${(err as Error).message}`);
      }
    }
  }

  async #admit(conn: Deno.Conn): Promise<void> {
    const from = unmapped((conn.remoteAddr as Deno.NetAddr).hostname);
    const timer = setTimeout(() => closeQuietly(conn), REQUEST_TIMEOUT_MS);
    let line: string | null;
    try {
      line = await new LineReader(conn, MAX_REQUEST_LINE).next();
    } catch {
      line = null;
    } finally {
      clearTimeout(timer);
    }
    const req = line === null ? { error: "no request" } : parseSpeedtestRequest(line);
    if ("error" in req || req.token === undefined) return await this.#refuse(conn, NO_GRANT, from);
    // Checked before the grant is spent, so a busy moment does not cost the router its grant.
    if (this.#active.size >= MAX_CONCURRENT_TESTS) {
      return await this.#refuse(conn, "too many tests running; try again in a minute", from);
    }
    if (!this.grants.redeem(req.token, Date.now())) return await this.#refuse(conn, NO_GRANT, from);
    this.#pending.delete(conn);
    this.#active.add(conn);
    await serveTest(conn, req, from, () => this.#closed, this.log);
  }

  /**
   * Closed at once. The answer line says why, so a router with a stale grant gets a clear
   * error; it tells a stranger nothing it did not know. The peer's address goes to debug only:
   * at info the line stays identical, so the logger folds a scan into one summary.
   */
  async #refuse(conn: Deno.Conn, why: string, from?: string): Promise<void> {
    this.log.info(`speedtest: link responder refused a connection: ${why.split(":")[0]}`);
    if (from !== undefined) this.log.debug("speedtest: refused link test", { from, why });
    await answerLine(conn, { error: why });
    closeQuietly(conn);
  }
}

/** "::ffff:198.18.1.2" (an IPv4 client of the dual-stack socket) as "198.18.1.2". */
function unmapped(host: string): string {
  return host.toLowerCase().startsWith("::ffff:") && host.includes(".") ? host.slice(7) : host;
}
