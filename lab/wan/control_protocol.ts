/**
 * The WAN emulator's control channel: a Unix stream socket in the lab's directory (a path, not
 * an abstract name, so it is reachable from every network namespace). One JSON request per
 * line, one JSON answer per line, then the connection closes.
 */
import type { DirectionStats } from "./delay_line.ts";
import type { LinkPatch, LinkSettings } from "./wan_settings.ts";

export type ControlRequest = { op: "status" } | { op: "set"; patch: LinkPatch };

export interface WanStatus {
  settings: LinkSettings;
  stats: { down: DirectionStats; up: DirectionStats };
}

export type ControlResponse = ({ ok: true } & WanStatus) | { ok: false; error: string };

/** Longest line either side accepts: settings and counters are far below it. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Reads from `conn` up to the first newline and returns the line without it. Throws when the
 * peer closes first or sends more than MAX_LINE_BYTES.
 */
export async function readLine(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("control connection closed before a full line");
    const newline = buf.subarray(0, n).indexOf(0x0a);
    const end = newline >= 0 ? newline : n;
    chunks.push(buf.slice(0, end));
    size += end;
    if (size > MAX_LINE_BYTES) throw new Error(`control line longer than ${MAX_LINE_BYTES} bytes`);
    if (newline >= 0) break;
  }
  const line = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    line.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(line);
}

/** Writes `message` as one JSON line. */
export async function writeLine(conn: Deno.Conn, message: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(message) + "\n");
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}
