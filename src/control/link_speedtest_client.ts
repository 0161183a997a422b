/**
 * The measuring end of `bond speedtest LINK`: one phase over one WAN link, past the tunnel,
 * against the VPS's link responder. The connection is made through libc (ffi/tcp.ts) so it can
 * be bound to the link's device and source and carry the tunnel's firewall mark: the router's
 * policy routing then leaves it on the underlay, on that link alone, like the tunnel's own
 * datagrams. Every call blocks at most one slice (250 ms), so the loops check their deadline
 * and report progress about four times a second.
 */
import { TcpClient } from "../../ffi/tcp.ts";
import { mbpsOf } from "./human_units.ts";
import type { PhaseResult } from "./speedtest_client.ts";
import {
  CHUNK_BYTES,
  type GrantAnswer,
  MAX_REQUEST_LINE,
  parseUploadReceipt,
  type SpeedtestDirection,
} from "./speedtest_protocol.ts";

/** Beyond the test's own duration: the last bytes in flight, the receipt. */
const GRACE_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5000;
const PROGRESS_EVERY_MS = 250;

export interface LinkSpeedtestTarget {
  /** The VPS's public address (an IP literal). */
  host: string;
  /** The link's device (SO_BINDTODEVICE) and source address, as configured. */
  device?: string;
  source?: string;
  /** The tunnel's firewall mark, so the router's policy routing keeps this off the tunnel. */
  mark?: number;
  seconds: number;
  onProgress?: (phase: SpeedtestDirection, bytes: number, elapsedMs: number) => void;
}

/** Runs one phase with `grant` (single use: get a fresh one for each phase). Blocks. */
export function measureLink(
  t: LinkSpeedtestTarget,
  phase: SpeedtestDirection,
  grant: GrantAnswer,
): PhaseResult {
  const conn = TcpClient.connect({
    host: t.host,
    port: grant.port,
    device: t.device,
    source: t.source,
    mark: t.mark,
    timeoutMs: CONNECT_TIMEOUT_MS,
  });
  try {
    const request = JSON.stringify({ test: phase, seconds: t.seconds, token: grant.token });
    const deadline = performance.now() + t.seconds * 1000 + GRACE_MS;
    sendAll(conn, new TextEncoder().encode(request + "\n"), deadline);
    return phase === "download" ? download(conn, t, deadline) : upload(conn, t, deadline);
  } finally {
    conn.close();
  }
}

function sendAll(conn: TcpClient, bytes: Uint8Array, deadline: number): void {
  for (let off = 0; off < bytes.length;) {
    off += conn.send(bytes.subarray(off));
    if (off < bytes.length && performance.now() > deadline) throw overtime();
  }
}

function download(conn: TcpClient, t: LinkSpeedtestTarget, deadline: number): PhaseResult {
  const buf = new Uint8Array(CHUNK_BYTES * 2);
  let bytes = 0;
  let first = 0;
  let last = 0;
  let reported = 0;
  for (;;) {
    const n = conn.recv(buf);
    const now = performance.now();
    if (n === 0) break;
    if (n !== null) {
      last = now;
      if (bytes === 0) {
        first = now;
        // The responder's data are zero bytes; a '{' first is its one-line JSON refusal.
        if (buf[0] === 0x7b) throw refusal(buf.subarray(0, n));
      }
      bytes += n;
    }
    if (now > deadline) throw overtime();
    if (bytes > 0 && now - reported >= PROGRESS_EVERY_MS) {
      reported = now;
      t.onProgress?.("download", bytes, now - first);
    }
  }
  if (bytes === 0) throw new Error("the link responder closed without sending data");
  const ms = last - first;
  return { bytes, ms, mbps: mbpsOf(bytes, ms) };
}

function upload(conn: TcpClient, t: LinkSpeedtestTarget, deadline: number): PhaseResult {
  const chunk = new Uint8Array(CHUNK_BYTES);
  const start = performance.now();
  const end = start + t.seconds * 1000;
  let sent = 0;
  let reported = start;
  for (let now = start; now < end; now = performance.now()) {
    try {
      sent += conn.send(chunk);
    } catch (err) {
      // A refused grant: the responder answered one line and closed before our data arrived.
      const buf = new Uint8Array(MAX_REQUEST_LINE);
      const n = safeRecv(conn, buf);
      if (n !== null && n > 0 && buf[0] === 0x7b) throw refusal(buf.subarray(0, n));
      throw err;
    }
    if (now - reported >= PROGRESS_EVERY_MS) {
      reported = now;
      t.onProgress?.("upload", sent, now - start);
    }
  }
  conn.shutdownWrite();
  const line = readLine(conn, deadline);
  if (line === null) throw new Error("the link responder closed without a receipt");
  if (line.startsWith('{"error"')) throw refusal(new TextEncoder().encode(line));
  const receipt = parseUploadReceipt(line);
  return { bytes: receipt.bytes, ms: receipt.ms, mbps: mbpsOf(receipt.bytes, receipt.ms) };
}

/** One "\n"-terminated line (without it), or null at end of stream. */
function readLine(conn: TcpClient, deadline: number): string | null {
  const buf = new Uint8Array(MAX_REQUEST_LINE);
  let length = 0;
  for (;;) {
    const nl = buf.subarray(0, length).indexOf(0x0a);
    if (nl >= 0) return new TextDecoder().decode(buf.subarray(0, nl));
    if (length === buf.length) throw new Error("the link responder's answer is too long");
    const n = conn.recv(buf.subarray(length));
    if (n === 0) return null;
    if (n !== null) length += n;
    if (performance.now() > deadline) throw overtime();
  }
}

function safeRecv(conn: TcpClient, buf: Uint8Array): number | null {
  try {
    return conn.recv(buf);
  } catch {
    return null;
  }
}

function refusal(bytes: Uint8Array): Error {
  const text = new TextDecoder().decode(bytes).split("\n")[0];
  try {
    const v = JSON.parse(text) as { error?: unknown };
    if (typeof v.error === "string") return new Error(`the link responder refused: ${v.error}`);
  } catch {
    // not the refusal line after all
  }
  return new Error(`unexpected answer from the link responder: ${text}`);
}

function overtime(): Error {
  return new Error(`did not finish within the test's duration + ${GRACE_MS} ms`);
}
