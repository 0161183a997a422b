/**
 * Forwards between their configuration shape (host text and port) and their wire shape in a
 * forward-sync frame (an Endpoint), both ways.
 */
import type { ForwardEntry } from "../bonding/control_frame_types.ts";
import type { ForwardConfig } from "../config/types.ts";
import { Endpoint } from "../protocol/endpoint.ts";

export function forwardToEntry(f: ForwardConfig): ForwardEntry {
  const host = f.to.host.includes(":") ? `[${f.to.host}]` : f.to.host;
  return { proto: f.proto, port: f.port, to: Endpoint.parse(`${host}:${f.to.port}`) };
}

export function entryToForward(e: ForwardEntry): ForwardConfig {
  return { proto: e.proto, port: e.port, to: { host: e.to.address(), port: e.to.port } };
}
