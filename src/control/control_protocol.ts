/**
 * The control socket's protocol (docs/control.md): UTF-8 JSON, one object per line in each
 * direction. The client sends `{"command": ...}`; the daemon answers each request with one line,
 * in order, `{"ok": true, ...}` or `{"ok": false, "error": "...", "problems": [...]}`.
 */
import type { StatusDocument } from "./status_document.ts";

/** The commands a daemon answers. */
export const CONTROL_COMMANDS = ["status", "reload"] as const;
export type ControlCommand = typeof CONTROL_COMMANDS[number];

export interface ControlRequest {
  command: ControlCommand;
  /** Echoed in the response, for clients that pipeline requests. */
  id?: string | number;
}

/** What a reload did with each changed key of the file. */
export interface ReloadReport {
  /** Changes now in effect, e.g. `log.level: info -> debug`. */
  applied: string[];
  /** Keys that differ from what runs and take effect only after a restart. */
  needs_restart: string[];
  /** Keys accepted and recorded that this build does not act on yet (links, forwards). */
  pending: string[];
}

export type ControlResponse =
  | { ok: true; id?: string | number; status: StatusDocument }
  | { ok: true; id?: string | number; reload: ReloadReport }
  | { ok: false; id?: string | number; error: string; problems?: string[] };

/** Requests are tiny; a longer line is a confused or hostile client. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** A status of thousands of peers still fits. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Reads one request line; a problem is returned as the error text to answer with. */
export function parseRequest(line: string): ControlRequest | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: "request is not JSON (want one JSON object per line)" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { error: "request is not a JSON object" };
  }
  const req = value as Record<string, unknown>;
  const id = req.id;
  if (id !== undefined && typeof id !== "string" && typeof id !== "number") {
    return { error: "id must be a string or a number" };
  }
  if (!(CONTROL_COMMANDS as readonly unknown[]).includes(req.command)) {
    return {
      error: `unknown command ${JSON.stringify(req.command)} (known: ${
        CONTROL_COMMANDS.join(", ")
      })`,
    };
  }
  return { command: req.command as ControlCommand, ...(id !== undefined ? { id } : {}) };
}
