/**
 * `bond speedtest` on the wire, TCP inside the tunnel to the VPS's responder:
 *
 *   client → server   {"test":"download"|"upload","seconds":N}\n
 *   download          the server sends for N seconds, then closes
 *   upload            the client sends for N seconds, then shuts down its write side;
 *                     the server answers {"bytes":B,"ms":T}\n (what it received, first byte to end)
 *
 * Each direction is measured where the bytes arrive, so socket buffers do not inflate it.
 */
import { networkOf, parseCidr } from "../net/cidr.ts";
import { formatAddress } from "../net/ip_address.ts";

/** The responder's TCP port on the VPS's tunnel addresses (65000-65535 belong to the VPS). */
export const SPEEDTEST_PORT = 65001;
export const MAX_TEST_SECONDS = 60;
export const DEFAULT_TEST_SECONDS = 10;
/** Bytes per write: large enough that the loop is not the limit. */
export const CHUNK_BYTES = 128 * 1024;
export const MAX_REQUEST_LINE = 1024;

export type SpeedtestDirection = "download" | "upload";

export interface SpeedtestRequest {
  test: SpeedtestDirection;
  seconds: number;
}

export interface UploadReceipt {
  bytes: number;
  ms: number;
}

export function parseSpeedtestRequest(line: string): SpeedtestRequest | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: "request is not JSON" };
  }
  const r = v as Partial<SpeedtestRequest> | null;
  if (typeof r !== "object" || r === null) return { error: "request is not an object" };
  if (r.test !== "download" && r.test !== "upload") {
    return { error: "test: want download | upload" };
  }
  if (
    typeof r.seconds !== "number" || !Number.isFinite(r.seconds) || r.seconds <= 0 ||
    r.seconds > MAX_TEST_SECONDS
  ) {
    return { error: `seconds: want a number above 0 and at most ${MAX_TEST_SECONDS}` };
  }
  return { test: r.test, seconds: r.seconds };
}

export function parseUploadReceipt(line: string): UploadReceipt {
  const v = JSON.parse(line) as Partial<UploadReceipt>;
  if (typeof v.bytes !== "number" || typeof v.ms !== "number") {
    throw new Error(`unexpected answer from the speedtest responder: ${line}`);
  }
  return { bytes: v.bytes, ms: v.ms };
}

/**
 * Where the router looks for the responder when not told: the first host of its tunnel subnet
 * (10.66.0.1 for 10.66.0.2/24), which is where the starter templates put the VPS. IPv4 first;
 * undefined when every candidate is the router's own address.
 */
export function defaultResponderHost(interfaceAddresses: string[]): string | undefined {
  const sorted = [...interfaceAddresses].map(parseCidr).sort((a, b) => a.family - b.family);
  for (const c of sorted) {
    // A /32 (or /31, /128, /127) has no subnet to find the VPS in.
    if (c.prefix >= (c.family === 4 ? 31 : 127)) continue;
    const first = networkOf(c).address.slice();
    first[first.length - 1] += 1;
    const host = formatAddress(first);
    if (host !== formatAddress(c.address)) return host;
  }
  return undefined;
}
