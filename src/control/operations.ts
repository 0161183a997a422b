/**
 * The daemon's operations side, started once the tunnel is up: the control socket (status,
 * reload), reload on SIGHUP, the optional metrics listener and, on the VPS, the speedtest
 * responder. Everything it opens is registered with the daemon's teardown, so a stop leaves no
 * socket file, listener or signal handler behind.
 */
import { resolve } from "node:path";
import { ConfigError } from "../config/config_error.ts";
import { formatHostPort } from "../config/host_port.ts";
import { loadConfig } from "../config/load.ts";
import type { BondConfig, LinkConfig, SchedulerMode } from "../config/types.ts";
import type { LinkReloadResult } from "../roles/live_links.ts";
import type { TunnelStatus } from "../datapath/messages.ts";
import { getLogLevel, logger, setLogLevel } from "../log.ts";
import { ControlServer } from "./control_server.ts";
import type { ControlResponse, ReloadReport } from "./control_protocol.ts";
import { MetricsServer } from "./metrics_server.ts";
import { renderExposition } from "./prometheus_text.ts";
import { planReload } from "./reload_plan.ts";
import type { ReloadStatusDoc, StatusDocument, TcpSplitDoc } from "./status_document.ts";
import { statusMetrics } from "./status_metrics.ts";
import { buildStatusDocument } from "./status_snapshot.ts";
import { SpeedtestResponder } from "./speedtest_responder.ts";
import { LINK_SPEEDTEST_PORT, SPEEDTEST_PORT } from "./speedtest_protocol.ts";
import { LinkGrants } from "./link_speedtest_grants.ts";
import { LinkSpeedtestResponder } from "./link_speedtest_responder.ts";
import type { VpsEdge } from "../roles/vps_egress.ts";
import type { LanPrefixStatus } from "../roles/lan_prefix.ts";
import type { ForwardEntry } from "../bonding/control_frame_types.ts";
import { forwardToEntry } from "../edge/forward_entries.ts";

export interface OperationsOptions {
  config: BondConfig;
  configPath: string;
  /** `--debug` keeps the log level at debug whatever the file says. */
  debug: boolean;
  dataPath: {
    status(): Promise<TunnelStatus>;
    setForwards(forwards: ForwardEntry[]): void;
    setSchedulerMode(mode: SchedulerMode): void;
  };
  /** Router: applies a reload's link changes to the running tunnel. */
  links?: {
    apply(current: readonly LinkConfig[], next: readonly LinkConfig[]): Promise<LinkReloadResult>;
  };
  /** VPS: its edge (nftables table and forwards); absent on a router. */
  edge?: VpsEdge;
  /** Router: the routed LAN prefix from the VPS, for status; absent on a VPS. */
  lanPrefix?: { status(): LanPrefixStatus };
  /** The TCP split, for status. */
  tcpSplit?: { status(): TcpSplitDoc };
  teardown: { add(what: string, undo: () => void | Promise<void>): void };
}

export type ReloadOutcome =
  | { ok: true; report: ReloadReport }
  | { ok: false; problems: string[] };

export class Operations {
  readonly #log = logger("control");
  readonly #started: BondConfig;
  #config: BondConfig;
  readonly #configFile: string;
  readonly #startedAtMs = Date.now();
  #reload: ReloadStatusDoc = {
    at: null,
    result: null,
    problems: [],
    needs_restart: [],
    pending: [],
  };
  #metrics: MetricsServer | undefined;
  #speedtest: SpeedtestResponder | undefined;
  #linkSpeedtest: LinkSpeedtestResponder | undefined;
  #control: ControlServer | undefined;
  /** Reloads run one at a time (SIGHUP and `bond reload` may arrive together). */
  #reloading: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: OperationsOptions) {
    this.#started = opts.config;
    this.#config = opts.config;
    this.#configFile = resolve(opts.configPath);
  }

  static async start(opts: OperationsOptions): Promise<Operations> {
    const ops = new Operations(opts);
    const { teardown } = opts;

    const onHangup = () => void ops.reload();
    Deno.addSignalListener("SIGHUP", onHangup);
    teardown.add("SIGHUP handler", () => Deno.removeSignalListener("SIGHUP", onHangup));

    if (opts.config.metrics.listen) {
      try {
        ops.#metrics = ops.#startMetrics(opts.config);
      } catch (err) {
        // The tunnel matters more than its metrics: run on, say why, and show none in status.
        ops.#log.error(`metrics not available: ${(err as Error).message}`);
      }
    }
    teardown.add("metrics listener", () => ops.#metrics?.stop());

    if (opts.config.role === "vps") {
      // Per-link tests: the public link responder serves grants the tunnel responder issues.
      const grants = new LinkGrants();
      ops.#linkSpeedtest = new LinkSpeedtestResponder(LINK_SPEEDTEST_PORT, grants, ops.#log);
      teardown.add("speedtest link responder", () => ops.#linkSpeedtest?.stop());
      ops.#speedtest = new SpeedtestResponder(
        opts.config.interface.address,
        opts.config.peers.flatMap((p) => p.allowedIps),
        SPEEDTEST_PORT,
        ops.#log,
        ops.#linkSpeedtest.listening.length > 0 ? { grants, port: LINK_SPEEDTEST_PORT } : undefined,
      );
      teardown.add("speedtest responder", () => ops.#speedtest?.stop());
    }

    ops.#control = await ControlServer.open(
      opts.config.control.socket,
      (req) => ops.#answer(req.command),
      ops.#log,
    );
    if (ops.#control) {
      teardown.add(`control socket ${ops.#control.path}`, () => ops.#control?.close());
      ops.#log.info("control socket ready", { path: ops.#control.path });
    }
    return ops;
  }

  async status(): Promise<StatusDocument> {
    return buildStatusDocument({
      config: this.#config,
      configFile: this.#configFile,
      pid: Deno.pid,
      startedAtMs: this.#startedAtMs,
      nowMs: Date.now(),
      tunnel: await this.opts.dataPath.status(),
      logLevel: getLogLevel(),
      reload: this.#reload,
      metricsListen: this.#metrics?.address ?? null,
      speedtestListen: [
        ...this.#speedtest?.listening ?? [],
        ...this.#linkSpeedtest?.listening ?? [],
      ],
      edgeForwards: this.opts.edge?.rows() ?? [],
      lanPrefix: this.opts.lanPrefix?.status(),
      tcpSplit: this.opts.tcpSplit?.status(),
    });
  }

  /** Re-reads the file; a bad file changes nothing. Logs the outcome either way. */
  reload(): Promise<ReloadOutcome> {
    const run = this.#reloading.then(() => this.#reloadNow());
    this.#reloading = run.catch(() => {});
    return run;
  }

  async #reloadNow(): Promise<ReloadOutcome> {
    const at = new Date().toISOString();
    let next: BondConfig;
    try {
      next = await loadConfig(this.opts.configPath);
    } catch (err) {
      const problems = err instanceof ConfigError ? [...err.problems] : [(err as Error).message];
      this.#log.warn("reload rejected, the running configuration is unchanged", {
        file: this.#configFile,
      });
      for (const p of problems) this.#log.warn(`reload: ${p}`);
      this.#reload = { at, result: "rejected", problems, needs_restart: [], pending: [] };
      return { ok: false, problems };
    }

    const plan = planReload(this.#started, this.#config, next);
    const report = plan.report;
    const effective = plan.effective;
    if (plan.logLevelChanged) setLogLevel(this.opts.debug ? "debug" : next.log.level);
    if (plan.metricsChanged) {
      try {
        const replacement = next.metrics.listen ? this.#startMetrics(next) : undefined;
        await this.#metrics?.stop();
        this.#metrics = replacement;
      } catch (err) {
        // The old listener keeps serving; the file's new address is reported, not pretended.
        effective.metrics = this.#config.metrics;
        const failed = `metrics.listen: not applied: ${(err as Error).message}`;
        report.applied = report.applied.filter((a) => !a.startsWith("metrics.listen"));
        report.needs_restart.push(failed);
      }
    }
    if (plan.schedulerChanged) this.opts.dataPath.setSchedulerMode(effective.scheduler.mode);
    if (plan.linksChanged && this.opts.links !== undefined) {
      const result = await this.opts.links.apply(this.#config.links, next.links);
      report.applied.push(...result.applied);
      report.needs_restart.push(...result.failed);
      effective.links = result.effective;
    }
    if (plan.forwardsChanged) {
      this.opts.dataPath.setForwards(effective.forwards.map(forwardToEntry));
    }
    if (plan.edgeChanged && this.opts.edge !== undefined) {
      try {
        await this.opts.edge.reload(effective);
      } catch (err) {
        // nft applies all or nothing: the running forwards and isolation are what they were.
        effective.peers = this.#config.peers;
        report.applied = report.applied.filter((a) => !/^peers\[\d+\]\.(forwards|reach)/.test(a));
        report.needs_restart.push(`peers[].forwards/reach: not applied: ${(err as Error).message}`);
      }
    }
    this.#config = effective;
    this.#reload = { at, result: "applied", problems: [], ...report };

    this.#log.info("configuration reloaded", {
      applied: report.applied.join("; ") || "nothing changed",
    });
    if (report.needs_restart.length > 0) {
      this.#log.warn(
        `reload: these keys take effect only after a restart: ${report.needs_restart.join(", ")}`,
      );
    }
    if (report.pending.length > 0) {
      this.#log.info(
        `reload: accepted, not acted on by this build yet: ${report.pending.join(", ")}`,
      );
    }
    return { ok: true, report };
  }

  async #answer(command: "status" | "reload"): Promise<ControlResponse> {
    if (command === "status") return { ok: true, status: await this.status() };
    const outcome = await this.reload();
    if (outcome.ok) return { ok: true, reload: outcome.report };
    return {
      ok: false,
      error: "the new configuration was rejected; the running one is unchanged",
      problems: outcome.problems,
    };
  }

  #startMetrics(config: BondConfig): MetricsServer {
    const listen = config.metrics.listen!;
    const server = MetricsServer.start(
      listen,
      async () => renderExposition(statusMetrics(await this.status())),
      this.#log,
    );
    this.#log.info("metrics listening", { url: `http://${formatHostPort(listen)}/metrics` });
    return server;
  }
}
