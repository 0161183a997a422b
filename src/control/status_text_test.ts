import assert from "node:assert/strict";
import { formatStatus } from "./status_text.ts";
import { sampleStatus, sampleTunnel } from "./test_status.ts";

Deno.test("the status text shows tunnel, crypto, scheduler and a row per peer and link", () => {
  const text = formatStatus(sampleStatus());
  const lines = text.split("\n");
  assert.equal(
    lines[0],
    "bond 0.1.0, router, bnd0 (10.66.0.2/24, fd66::2/64, mtu 1420), running 1h02m, pid 4242",
  );
  assert.match(text, /^tunnel {5}up, handshake 12s ago$/m);
  assert.match(text, /^crypto {5}openssl$/m);
  assert.match(text, /^offloads {3}gso, gro, tun$/m);
  assert.match(text, /^scheduler {2}aggregate$/m);
  assert.match(text, /^drops {6}4 \(dropReplay 3, dropBadMac1 1\)$/m);
  assert.match(text, /^metrics {4}http:\/\/127\.0\.0\.1:9586\/metrics$/m);
  assert.match(text, /^config {5}\/etc\/bond\/bond\.yaml$/m);

  const peerHeader = lines.findIndex((l) => l.startsWith("PEER"));
  assert.deepEqual(lines[peerHeader].split(/ {2,}/), [
    "PEER",
    "ENDPOINT",
    "HANDSHAKE",
    "SESSION",
    "RX",
    "TX",
    "PATHS",
  ]);
  assert.deepEqual(lines[peerHeader + 1].split(/ {2,}/), [
    "edge",
    "203.0.113.10:65535",
    "12s ago",
    "established",
    "5.00 MiB",
    "1.50 KiB",
    "0",
  ]);
  const linkHeader = lines.findIndex((l) => l.startsWith("LINK"));
  assert.ok(linkHeader > peerHeader);
  const dsl = lines[linkHeader + 1].split(/ {2,}/);
  assert.deepEqual(dsl.slice(0, 5), ["dsl", "configured", "eth1", "192.168.1.20", "1"]);
  assert.ok(dsl.includes("150 Mbit/s (seed)"), dsl.join("|"));
  assert.equal(lines[linkHeader + 2].split(/ {2,}/)[0], "lte");
  assert.match(text, /^FORWARD {2}PORT {2}TO {17}STATE$/m);
  assert.match(text, /^tcp {6}9987 {2}192\.168\.1\.50:9987 {2}configured$/m);
});

Deno.test("columns line up: every cell of a column starts at the header's offset", () => {
  const lines = formatStatus(sampleStatus()).split("\n");
  const at = lines.findIndex((l) => l.startsWith("LINK"));
  const header = lines[at];
  const stateColumn = header.indexOf("STATE");
  for (const row of lines.slice(at + 1, at + 3)) {
    assert.equal(row.slice(stateColumn, stateColumn + 10), "configured");
  }
});

Deno.test("no session yet, a peer without endpoint, and a VPS without links read plainly", () => {
  const tunnel = sampleTunnel({ counters: {} });
  tunnel.peers[0] = { ...tunnel.peers[0], endpoint: undefined, handshakeAgeMs: undefined };
  const text = formatStatus(sampleStatus("vps", { tunnel, metricsListen: null }));
  assert.match(text, /^tunnel {5}no session yet \(no handshake has completed\)$/m);
  assert.match(text, /^drops {6}0$/m);
  assert.match(text, /\(not known yet\) {2}never {6}none/);
  assert.ok(!text.includes("LINK"), "a VPS has no links table");
  assert.ok(!text.includes("metrics "), "no metrics line when metrics are off");
});

Deno.test("a reload's outcome is shown with what needs a restart", () => {
  const text = formatStatus(sampleStatus("router", {
    reload: {
      at: "2025-01-02T04:00:00.000Z",
      result: "applied",
      problems: [],
      needs_restart: ["peers[0].persistent_keepalive"],
      pending: ["links"],
    },
  }));
  assert.match(
    text,
    /^reload {5}applied at 2025-01-02T04:00:00\.000Z; needs restart: peers\[0\]\.persistent_keepalive; pending: links$/m,
  );
});

Deno.test("the status text tells whether LAN TCP is split, and why not", () => {
  assert.match(formatStatus(sampleStatus()), /^tcp split {2}off \(not set up\)$/m);
  const active = sampleStatus("router", {
    tcpSplit: {
      state: "active",
      listener: "10.66.0.1:65010",
      reason: null,
      connections: 2,
      accepted: 9,
      failed: 1,
      reset: 3,
      bytes_up: 1000,
      bytes_down: 2000,
      subflow_windows: [],
      send_buffer_max: null,
    },
  });
  assert.match(
    formatStatus(active),
    /^tcp split {2}active via 10\.66\.0\.1:65010, 2 open, 9 in all, 1 not carried, 3 reset$/m,
  );
  const windowed = sampleStatus("router", {
    tcpSplit: {
      ...active.tcp_split,
      subflow_windows: [{
        destination: "10.66.0.1/32",
        initcwnd: [10, 60, 10, 60, 13, 60, 10, 60],
      }],
    },
  });
  assert.match(
    formatStatus(windowed),
    /^tcp split {2}active via .*, 3 reset; subflows start at 10-60 packets$/m,
  );
  const capped = sampleStatus("router", {
    tcpSplit: { ...windowed.tcp_split, send_buffer_max: 1 << 20 },
  });
  assert.match(
    formatStatus(capped),
    /^tcp split {2}active via .*; subflows start at 10-60 packets; send buffers at most 1\.0 MiB$/m,
  );
  const waiting = sampleStatus("router", {
    tcpSplit: { ...active.tcp_split, state: "waiting", listener: null },
  });
  assert.match(formatStatus(waiting), /^tcp split {2}waiting for the VPS's offer$/m);
});
