/**
 * The VPS's speedtest responder: TCP on each tunnel address, SPEEDTEST_PORT. Bound to the tunnel
 * addresses, and a connection is served only when its source lies in a peer's allowed IPs; a
 * forged source from outside could not complete the TCP handshake, since the replies go down the
 * tunnel to the real peer. At most a few tests run at once and each is bounded in time.
 */
import type { Cidr } from "../net/cidr.ts";
import { parseIpAddress } from "../net/ip_address.ts";
import { AllowedIps } from "../protocol/allowed_ips.ts";
import type { Logger } from "../log.ts";
import { LineReader } from "./line_reader.ts";
import {
  CHUNK_BYTES,
  MAX_REQUEST_LINE,
  parseSpeedtestRequest,
  type SpeedtestRequest,
} from "./speedtest_protocol.ts";
import { writeAll } from "./write_all.ts";

const MAX_CONCURRENT_TESTS = 4;
/** Time for a client to send its request line. */
const REQUEST_TIMEOUT_MS = 5000;
/** After the requested duration, how long an upload may still take to finish. */
const UPLOAD_GRACE_MS = 5000;

export class SpeedtestResponder {
  readonly #listeners: Deno.Listener[] = [];
  readonly #active = new Set<Deno.Conn>();
  readonly #allowed = new AllowedIps<true>();
  readonly #chunk = new Uint8Array(CHUNK_BYTES);
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
    let req: SpeedtestRequest | { error: string };
    try {
      const line = await lines.next();
      if (line === null) return;
      req = parseSpeedtestRequest(line);
    } catch {
      return;
    } finally {
      clearTimeout(timer);
    }
    if ("error" in req) {
      await writeAll(conn, new TextEncoder().encode(JSON.stringify(req) + "\n")).catch(() => {});
      return;
    }
    this.log.info(`speedtest ${req.test} started`, { from, seconds: req.seconds });
    try {
      if (req.test === "download") await this.#send(conn, req.seconds * 1000);
      else await this.#receive(conn, req.seconds * 1000 + UPLOAD_GRACE_MS);
    } catch (err) {
      this.log.debug(`speedtest ${req.test} ended early: ${(err as Error).message}`, { from });
    }
  }

  async #send(conn: Deno.Conn, ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (performance.now() < end && !this.#closed) await writeAll(conn, this.#chunk);
  }

  async #receive(conn: Deno.Conn, limitMs: number): Promise<void> {
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
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
