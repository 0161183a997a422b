/**
 * The optional Prometheus listener (`metrics.listen`, loopback only): GET /metrics renders the
 * current status as text exposition. Anything else is 404; nothing here changes state.
 */
import { formatHostPort } from "../config/host_port.ts";
import type { HostPort } from "../config/types.ts";
import type { Logger } from "../log.ts";
import { EXPOSITION_CONTENT_TYPE } from "./prometheus_text.ts";

export class MetricsServer {
  private constructor(
    readonly address: string,
    private readonly server: Deno.HttpServer<Deno.NetAddr>,
  ) {}

  /** Listens now; throws (e.g. address in use) without leaving anything open. */
  static start(listen: HostPort, render: () => Promise<string>, log: Logger): MetricsServer {
    const server = Deno.serve({
      hostname: listen.host,
      port: listen.port,
      onListen: () => {},
      onError: (err) => {
        log.warn(`metrics request failed: ${(err as Error).message}`);
        return new Response("internal error\n", { status: 500 });
      },
    }, async (req) => {
      const path = new URL(req.url).pathname;
      if (path !== "/metrics") return new Response("not found: try /metrics\n", { status: 404 });
      if (req.method !== "GET" && req.method !== "HEAD") {
        return new Response("method not allowed\n", {
          status: 405,
          headers: { allow: "GET, HEAD" },
        });
      }
      const body = await render();
      return new Response(req.method === "HEAD" ? null : body, {
        headers: { "content-type": EXPOSITION_CONTENT_TYPE },
      });
    });
    return new MetricsServer(formatHostPort(listen), server);
  }

  async stop(): Promise<void> {
    await this.server.shutdown();
  }
}
