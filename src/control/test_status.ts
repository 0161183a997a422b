/** A realistic status document for the formatter, schema and metrics tests. */
import { routerValue, vpsValue } from "../config/test_fixtures.ts";
import { validateConfig } from "../config/validate.ts";
import type { TunnelStatus } from "../datapath/messages.ts";
import { buildStatusDocument, type StatusInputs } from "./status_snapshot.ts";
import type { StatusDocument } from "./status_document.ts";

export const STARTED_AT_MS = Date.UTC(2025, 0, 2, 3, 4, 5);

export function sampleTunnel(overrides: Partial<TunnelStatus> = {}): TunnelStatus {
  const base: TunnelStatus = {
    aead: "openssl",
    aeadByWorker: { tx: "openssl", rx: "openssl" },
    offloads: ["gso", "gro", "tun"],
    peers: [{
      name: "edge",
      publicKey: "Jx3y0p2rK1wQm9H8s4tDvbL6cN7eF0gA5iU2oZ3kX1Q=",
      endpoint: "203.0.113.10:65535",
      handshakeAgeMs: 12_345.6,
      rxBytes: 5 * 1024 * 1024,
      txBytes: 1536,
      rxPackets: 4000,
      txPackets: 12,
    }],
    counters: { transportReceived: 4000, dropReplay: 3, dropBadMac1: 1, tunnelDropNoPeer: 0 },
  };
  return Object.assign(base, overrides);
}

export function sampleStatus(
  role: "router" | "vps" = "router",
  overrides: Partial<StatusInputs> = {},
): StatusDocument {
  const r = validateConfig(role === "router" ? routerValue() : vpsValue(), {
    baseDir: Deno.cwd(),
  });
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return buildStatusDocument({
    config: r.config,
    configFile: "/etc/bond/bond.yaml",
    pid: 4242,
    startedAtMs: STARTED_AT_MS,
    nowMs: STARTED_AT_MS + 3_723_000,
    tunnel: sampleTunnel(),
    logLevel: "info",
    reload: { at: null, result: null, problems: [], needs_restart: [], pending: [] },
    metricsListen: "127.0.0.1:9586",
    speedtestListen: [],
    ...overrides,
  });
}
