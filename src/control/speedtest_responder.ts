/**
 * The VPS's speedtest responder: TCP on each tunnel address, SPEEDTEST_PORT. Bound to the tunnel
 * addresses, and a connection is served only when its source lies in a peer's allowed IPs; a
 * forged source from outside could not complete the TCP handshake, since the replies go down the
 * tunnel to the real peer. At most a few tests run at once and each is bounded in time.
 *
 * It also hands out grants for the link responder (link_speedtest_responder.ts): being reachable
 * here is what proves a client is one of the VPS's peers.
 */
import type { Cidr } from "../net/cidr.ts";
import { parseIpAddress } from "../net/ip_address.ts";
import { AllowedIps } from "../protocol/allowed_ips.ts";
import type { Logger } from "../log.ts";
import { LineReader } from "./line_reader.ts";
import type { LinkGrants } from "./link_speedtest_grants.ts";
import {
  type GrantAnswer,
  type GrantRequest,
  MAX_REQUEST_LINE,
  parseResponderRequest,
  type SpeedtestRequest,
} from "./speedtest_protocol.ts";
import { answerLine, closeQuietly, serveTest } from "./speedtest_serve.ts";

export const MAX_CONCURRENT_TESTS = 4;
/** Time for a client to send its request line. */
const REQUEST_TIMEOUT_MS = 5000;

/** Where grants come from and which port they open (the VPS's link responder). */
export interface GrantIssuer {
  grants: LinkGrants;
  port: number;
}

export class SpeedtestResponder {
  readonly #listeners: Deno.Listener[] = [];
  readonly #active = new Set<Deno.Conn>();
  readonly #allowed = new AllowedIps<true>();
  /** host:port of each listener, for status. */
  readonly listening: string[] = [];
  #closed = false;

  /**
   * Listens on each tunnel address (`interfaceAddresses`' host parts). An address that cannot
   * be bound is logged and skipped; the others still serve.
   */
  constructor(
    interfaceAddresses: Cidr[],
    peerAllowedIps: Cidr[],
    port: number,
    private readonly log: Logger,
    /** Absent: grant requests are refused (no link responder runs). */
    private readonly issuer?: GrantIssuer,
  ) {
    for (const c of peerAllowedIps) this.#allowed.insert(c.text, true);
    for (const a of interfaceAddresses) {
      const host = a.text.slice(0, a.text.indexOf("/"));
      try {
        const listener = Deno.listen({ transport: "tcp", hostname: host, port });
        this.#listeners.push(listener);
        this.listening.push(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);
        this.#accept(listener);
      } catch (err) {
        log.warn(`speedtest responder cannot listen on ${host}:${port}: ${(err as Error).message}`);
      }
    }
  }

  stop(): void {
    this.#closed = true;
    for (const l of this.#listeners) l.close();
    for (const c of this.#active) closeQuietly(c);
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    try {
      for await (const conn of listener) {
        const from = (conn.remoteAddr as Deno.NetAddr).hostname;
        if (!this.#fromPeer(from)) {
          this.log.info("speedtest: refused a connection from outside the peers' allowed IPs", {
            from,
          });
          closeQuietly(conn);
          continue;
        }
        if (this.#active.size >= MAX_CONCURRENT_TESTS) {
          this.log.info("speedtest: refused a connection, too many tests running", { from });
          closeQuietly(conn);
          continue;
        }
        this.#active.add(conn);
        this.#serve(conn, from).finally(() => {
          this.#active.delete(conn);
          closeQuietly(conn);
        });
      }
    } catch (err) {
      if (!this.#closed) this.log.warn(`speedtest responder stopped: ${(err as Error).message}`);
    }
  }

  #fromPeer(host: string): boolean {
    try {
      const ip = parseIpAddress(host);
      return this.#allowed.lookup(ip.family, ip.address, 0) === true;
    } catch {
      return false;
    }
  }

  async #serve(conn: Deno.Conn, from: string): Promise<void> {
    const lines = new LineReader(conn, MAX_REQUEST_LINE);
    const timer = setTimeout(() => closeQuietly(conn), REQUEST_TIMEOUT_MS);
    let req: SpeedtestRequest | GrantRequest | { error: string };
    try {
      const line = await lines.next();
      if (line === null) return;
      req = parseResponderRequest(line);
    } catch {
      return;
    } finally {
      clearTimeout(timer);
    }
    if ("error" in req) return await answerLine(conn, req);
    if ("grant" in req) return await answerLine(conn, this.#grant(from));
    await serveTest(conn, req, from, () => this.#closed, this.log);
  }

  #grant(from: string): GrantAnswer | { error: string } {
    if (this.issuer === undefined) return { error: "no link responder runs on this VPS" };
    const now = Date.now();
    const grant = this.issuer.grants.issue(now);
    if (grant === undefined) {
      this.log.info("speedtest: refused a grant, too many outstanding", { from });
      return { error: "too many link tests granted at once; try again in 30 s" };
    }
    this.log.debug("speedtest: granted a link test", { from });
    return { token: grant.token, port: this.issuer.port, expires_ms: grant.expiresAtMs - now };
  }
}
