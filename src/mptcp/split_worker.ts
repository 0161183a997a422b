/**
 * The TCP split's own Worker: its listeners, accept loops and relays (router_split.ts,
 * vps_split.ts). The relay moves every byte of every split connection through node:net sockets;
 * on the main thread it held the event loop for up to ~100 ms at a time during a download (and
 * its garbage shared the heap), and the bonding plane's health tick, which runs there every
 * 10 ms, came late: paths were judged on stale news (docs/tcp_split.md, "Where it runs").
 */
/// <reference lib="deno.worker" />
import { logEnabled, type Logger, type LogLevel, setLogLevel } from "../log.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { RouterSplit } from "./router_split.ts";
import { sharedSplitStats } from "./split_end.ts";
import type { MainToSplitWorker, SplitWorkerToMain } from "./split_worker_messages.ts";
import { VpsSplit } from "./vps_split.ts";
import { collectStartupGarbage } from "../v8_flags.ts";
import { libc } from "../../ffi/libc.ts";

const post = (msg: SplitWorkerToMain) => self.postMessage(msg);

/** Log lines go to the main thread, which writes them (filtered here, at the daemon's level). */
const log: Logger = {
  error: (message, fields) => forward("error", message, fields),
  warn: (message, fields) => forward("warn", message, fields),
  info: (message, fields) => forward("info", message, fields),
  debug: (message, fields) => forward("debug", message, fields),
};
function forward(level: LogLevel, message: string, fields?: Parameters<Logger["info"]>[1]) {
  if (logEnabled(level)) post({ type: "log", level, message, fields });
}

let split: RouterSplit | VpsSplit | undefined;

self.onmessage = async (e: MessageEvent<MainToSplitWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case "start": {
      if (split !== undefined) return;
      setLogLevel(msg.logLevel);
      const stats = sharedSplitStats(msg.stats);
      try {
        if (msg.role === "router") {
          const router = RouterSplit.open(stats, log);
          router.onTargetRefused = (target) =>
            post({ type: "target-refused", target: target.toString() });
          split = router;
        } else {
          split = VpsSplit.open(msg.address, msg.device, stats, log);
        }
      } catch (err) {
        post({ type: "failed", message: (err as Error).message });
        return;
      }
      collectStartupGarbage();
      idleCollections(stats);
      post({ type: "ready" });
      return;
    }
    case "target":
      if (split instanceof RouterSplit) {
        split.target = msg.target === null ? undefined : Endpoint.parse(msg.target);
      }
      return;
    case "stop":
      await split?.stop();
      post({ type: "stopped" });
      return;
  }
};

/** How often the Worker looks for a quiet moment to collect its garbage. */
const IDLE_CHECK_MS = 2000;

/**
 * Memory handed back whenever the split has gone quiet (no connection open) after carrying
 * some: a full collection, then glibc's `malloc_trim`. The relay's socket buffers come from this
 * thread's own malloc arena, which keeps what is freed for its next use. In the lab (profile A,
 * 3 s after one 8-s transfer each way; router / VPS): relay on the main thread 142-145 / 136-144
 * MB, in this Worker 166-173 / 161-182 MB and as much 30 s later; the collection alone gave back
 * 4 MB; with the trim 137-151 / 142-158 MB (three runs).
 */
function idleCollections(stats: { accepted: number; active: number }): void {
  let collectedAt = stats.accepted;
  setInterval(() => {
    if (stats.active !== 0 || stats.accepted === collectedAt) return;
    collectedAt = stats.accepted;
    collectStartupGarbage();
    libc().malloc_trim?.(0n);
  }, IDLE_CHECK_MS);
}
