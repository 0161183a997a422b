import assert from "node:assert/strict";
import net from "node:net";
import { mptcpAvailable } from "../../ffi/stream_socket.ts";
import { getLogLevel, type LogFields, type Logger, type LogLevel, setLogLevel } from "../log.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { encodeSplitHeader, SPLIT_UNREACHABLE } from "./split_header.ts";
import { sharedSplitStats, SPLIT_STAT_NAMES, SPLIT_STATS_BYTES } from "./split_end.ts";
import { SplitWorkerHandle } from "./split_worker_handle.ts";
import { SPLIT_PORT } from "./subflow_ports.ts";

function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: LogLevel) => (m: string, f?: LogFields) =>
    lines.push(`${level} ${m} ${JSON.stringify(f ?? {})}`);
  return {
    lines,
    log: { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") },
  };
}

Deno.test("split figures in shared memory: what one view counts, another reads", () => {
  const buffer = new SharedArrayBuffer(SPLIT_STATS_BYTES);
  const worker = sharedSplitStats(buffer);
  const main = sharedSplitStats(buffer);
  assert.deepEqual({ ...main }, Object.fromEntries(SPLIT_STAT_NAMES.map((n) => [n, 0])));
  worker.accepted++;
  worker.active++;
  worker.bytesDown += 2 ** 40 + 3; // beyond 32 bits: byte counts of a long-lived daemon
  worker.active--;
  assert.deepEqual({ ...main }, {
    accepted: 1,
    active: 0,
    failed: 0,
    reset: 0,
    bytesUp: 0,
    bytesDown: 2 ** 40 + 3,
  });
});

Deno.test("split worker: a listener that cannot open rejects the start, with why", async () => {
  const { log } = recordingLog();
  await assert.rejects(
    SplitWorkerHandle.start({ role: "vps", address: "127.0.0.1", device: "bondnosuch0" }, log),
    (err: Error) => {
      assert.match(err.message, /bondnosuch0|SO_BINDTODEVICE|socket/);
      return true;
    },
  );
});

/** Connects to 127.0.0.1:SPLIT_PORT, sends `bytes`, returns all it got back until the end. */
function exchange(bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const socket = net.connect({ host: "127.0.0.1", port: SPLIT_PORT }, () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no end in 5 s"));
    }, 5000);
    socket.on("data", (c: Uint8Array) => chunks.push(c));
    socket.on("end", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(new Uint8Array(chunks.flatMap((c) => [...c])));
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

Deno.test({
  name:
    "split worker (VPS, loopback): answers, counts where the main thread reads, logs through it, " +
    "and stops listening",
  ignore: Deno.uid() !== 0 || !mptcpAvailable(),
  async fn() {
    const { log, lines } = recordingLog();
    const level = getLogLevel();
    setLogLevel("debug");
    const split = await SplitWorkerHandle.start(
      { role: "vps", address: "127.0.0.1", device: "lo" },
      log,
    ).finally(() => setLogLevel(level));
    try {
      // A destination the split may not reach: the VPS says so and ends the connection.
      const answer = await exchange(encodeSplitHeader(Endpoint.parse("127.0.0.1:22")));
      assert.deepEqual([...answer], [SPLIT_UNREACHABLE]);
      const deadline = Date.now() + 2000;
      const logged = () =>
        lines.some((l) => l.startsWith("debug TCP split connection not carried"));
      // The figures are shared memory, the log line a message: wait for both.
      while ((split.stats.failed < 1 || !logged()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(split.stats.accepted, 1);
      assert.equal(split.stats.failed, 1);
      assert.equal(split.stats.active, 0);
      assert.ok(
        lines.some((l) =>
          l.startsWith("debug TCP split connection not carried") &&
          l.includes("loopback")
        ),
        lines.join("\n"),
      );
    } finally {
      await split.stop();
    }
    await assert.rejects(exchange(Uint8Array.of(0)), /ECONNREFUSED|refused/);
  },
});
