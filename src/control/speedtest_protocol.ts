/**
 * `bond speedtest` on the wire, TCP inside the tunnel to the VPS's responder:
 *
 *   client → server   {"test":"download"|"upload","seconds":N}\n
 *   download          the server sends for N seconds, then closes
 *   upload            the client sends for N seconds, then shuts down its write side;
 *                     the server answers {"bytes":B,"ms":T}\n (what it received, first byte to end)
 *
 * Each direction is measured where the bytes arrive, so socket buffers do not inflate it.
 *
 * Per-link tests (`bond speedtest LINK`) run past the tunnel, against the VPS's public link
 * responder (LINK_SPEEDTEST_PORT). It serves only a request carrying a grant, which the router
 * asks for through the tunnel, on SPEEDTEST_PORT, one per phase:
 *
 *   client → server   {"grant":"link"}\n
 *   server → client   {"token":"<32 hex>","port":65002,"expires_ms":30000}\n   (or {"error":…})
 *   then, to port     {"test":"download"|"upload","seconds":N,"token":"<32 hex>"}\n   (as above)
 */
import { networkOf, parseCidr } from "../net/cidr.ts";
import { formatAddress } from "../net/ip_address.ts";

/** The responder's TCP port on the VPS's tunnel addresses (65000-65535 belong to the VPS). */
export const SPEEDTEST_PORT = 65001;
/** The link responder's TCP port on the VPS's public addresses (grant holders only). */
export const LINK_SPEEDTEST_PORT = 65002;
export const MAX_TEST_SECONDS = 60;
export const DEFAULT_TEST_SECONDS = 10;
/** Bytes per write: large enough that the loop is not the limit. */
export const CHUNK_BYTES = 128 * 1024;
export const MAX_REQUEST_LINE = 1024;

export type SpeedtestDirection = "download" | "upload";

export interface SpeedtestRequest {
  test: SpeedtestDirection;
  seconds: number;
  /** Link responder only: the grant obtained through the tunnel. */
  token?: string;
}

/** Asked of the bonded responder (through the tunnel): a grant for the link responder. */
export interface GrantRequest {
  grant: "link";
}

export interface GrantAnswer {
  token: string;
  /** The link responder's port. */
  port: number;
  /** How long the grant stays valid from now. */
  expires_ms: number;
}

export interface UploadReceipt {
  bytes: number;
  ms: number;
}

export function parseSpeedtestRequest(line: string): SpeedtestRequest | { error: string } {
  const r = parseResponderRequest(line);
  return "grant" in r ? { error: "test: want download | upload" } : r;
}

/** A request line of the bonded responder: a test or a grant request. */
export function parseResponderRequest(
  line: string,
): SpeedtestRequest | GrantRequest | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: "request is not JSON" };
  }
  const r = v as Partial<SpeedtestRequest & { grant: unknown }> | null;
  if (typeof r !== "object" || r === null) return { error: "request is not an object" };
  if ("grant" in r) return r.grant === "link" ? { grant: "link" } : { error: "grant: want link" };
  if (r.test !== "download" && r.test !== "upload") {
    return { error: "test: want download | upload" };
  }
  if (
    typeof r.seconds !== "number" || !Number.isFinite(r.seconds) || r.seconds <= 0 ||
    r.seconds > MAX_TEST_SECONDS
  ) {
    return { error: `seconds: want a number above 0 and at most ${MAX_TEST_SECONDS}` };
  }
  if (r.token !== undefined && typeof r.token !== "string") {
    return { error: "token: want a string" };
  }
  return r.token === undefined
    ? { test: r.test, seconds: r.seconds }
    : { test: r.test, seconds: r.seconds, token: r.token };
}

/** The bonded responder's answer to a grant request; its refusal is thrown as the error. */
export function parseGrantAnswer(line: string): GrantAnswer {
  let v: Partial<GrantAnswer & { error: string }>;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`unexpected answer from the speedtest responder: ${line}`);
  }
  if (typeof v.error === "string") {
    // What a bond from before link tests answers: it reads every line as a test request.
    if (v.error.startsWith("test:")) {
      throw new Error("the VPS's bond does not grant link tests: update bond on the VPS");
    }
    throw new Error(`the VPS refused a grant: ${v.error}`);
  }
  if (
    typeof v.token !== "string" || typeof v.port !== "number" || typeof v.expires_ms !== "number"
  ) {
    throw new Error(
      `the speedtest responder does not grant link tests (an older bond on the VPS?): ${line}`,
    );
  }
  return { token: v.token, port: v.port, expires_ms: v.expires_ms };
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
