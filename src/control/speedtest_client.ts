/**
 * The measuring end of `bond speedtest`: download, then upload, against the VPS's responder
 * through the tunnel. Each phase is bounded by its duration plus a grace period.
 */
import { mbpsOf } from "./human_units.ts";
import { LineReader } from "./line_reader.ts";
import {
  CHUNK_BYTES,
  MAX_REQUEST_LINE,
  parseUploadReceipt,
  type SpeedtestDirection,
} from "./speedtest_protocol.ts";
import { writeAll } from "./write_all.ts";

/** Beyond the test's own duration: connection set-up, the last bytes, the receipt. */
const GRACE_MS = 10_000;

export interface PhaseResult {
  bytes: number;
  ms: number;
  mbps: number;
}

export interface SpeedtestTarget {
  host: string;
  port: number;
  seconds: number;
  /** Called about four times a second with the bytes moved so far. */
  onProgress?: (phase: SpeedtestDirection, bytes: number, elapsedMs: number) => void;
}

export async function measure(t: SpeedtestTarget, phase: SpeedtestDirection): Promise<PhaseResult> {
  const conn = await Deno.connect({ hostname: t.host, port: t.port });
  const timer = setTimeout(() => conn.close(), t.seconds * 1000 + GRACE_MS);
  try {
    await writeAll(
      conn,
      new TextEncoder().encode(JSON.stringify({ test: phase, seconds: t.seconds }) + "\n"),
    );
    return phase === "download" ? await download(conn, t) : await upload(conn, t);
  } catch (err) {
    if (err instanceof Deno.errors.BadResource) {
      throw new Error(`speedtest ${phase} did not finish within ${t.seconds}s + ${GRACE_MS} ms`);
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

async function download(conn: Deno.Conn, t: SpeedtestTarget): Promise<PhaseResult> {
  const buf = new Uint8Array(CHUNK_BYTES * 2);
  let bytes = 0;
  let first = 0;
  let last = 0;
  let reported = 0;
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    last = performance.now();
    if (bytes === 0) {
      first = last;
      // The responder's data are zero bytes; a '{' first is its one-line JSON refusal.
      if (buf[0] === 0x7b) throw new Error(new TextDecoder().decode(buf.subarray(0, n)).trim());
    }
    bytes += n;
    if (last - reported >= 250) {
      reported = last;
      t.onProgress?.("download", bytes, last - first);
    }
  }
  if (bytes === 0) {
    throw new Error("the responder closed without sending data (it serves the VPS's peers only)");
  }
  const ms = last - first;
  return { bytes, ms, mbps: mbpsOf(bytes, ms) };
}

async function upload(conn: Deno.TcpConn, t: SpeedtestTarget): Promise<PhaseResult> {
  const chunk = new Uint8Array(CHUNK_BYTES);
  const start = performance.now();
  const end = start + t.seconds * 1000;
  let sent = 0;
  let reported = start;
  for (let now = start; now < end; now = performance.now()) {
    await writeAll(conn, chunk);
    sent += chunk.length;
    if (now - reported >= 250) {
      reported = now;
      t.onProgress?.("upload", sent, now - start);
    }
  }
  await conn.closeWrite();
  const line = await new LineReader(conn, MAX_REQUEST_LINE).next();
  if (line === null) throw new Error("the speedtest responder closed without a receipt");
  const receipt = parseUploadReceipt(line);
  return { bytes: receipt.bytes, ms: receipt.ms, mbps: mbpsOf(receipt.bytes, receipt.ms) };
}
