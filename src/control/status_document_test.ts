import assert from "node:assert/strict";
import { STATUS_SCHEMA, statusDocumentProblems } from "./status_document.ts";
import { sampleStatus, sampleTunnel } from "./test_status.ts";
import { formatStatus } from "./status_text.ts";

Deno.test("a status built by the daemon matches the schema, also after a JSON round trip", () => {
  for (const role of ["router", "vps"] as const) {
    const doc = sampleStatus(role);
    assert.deepEqual(statusDocumentProblems(doc), []);
    assert.deepEqual(statusDocumentProblems(JSON.parse(JSON.stringify(doc))), []);
  }
});

Deno.test("the status carries the facts: tunnel, crypto, scheduler, peers, links as configured", () => {
  const doc = sampleStatus();
  assert.equal(doc.schema, STATUS_SCHEMA);
  assert.equal(doc.role, "router");
  assert.equal(doc.uptime_ms, 3_723_000);
  assert.equal(doc.started_at, "2025-01-02T03:04:05.000Z");
  assert.deepEqual(doc.tunnel, { up: true, handshake_age_ms: 12_346 });
  assert.equal(doc.crypto.backend, "openssl");
  assert.equal(doc.scheduler.mode, "aggregate");
  assert.deepEqual(doc.interface, {
    name: "bnd0",
    addresses: ["10.66.0.2/24", "fd66::2/64"],
    mtu: 1420,
  });
  assert.equal(doc.peers[0].session, "established");
  assert.equal(doc.peers[0].endpoint, "203.0.113.10:65535");
  assert.deepEqual(doc.peers[0].paths, []);
  assert.deepEqual(doc.links.map((l) => [l.name, l.state, l.device, l.source]), [
    ["dsl", "configured", "eth1", "192.168.1.20"],
    ["lte", "configured", "wwan0", null],
  ]);
  // Measurements are present as null until measured, so consumers never miss a key.
  assert.equal(doc.links[0].rtt_ms, null);
  assert.equal(doc.links[0].seed_down_mbps, 150);
  assert.deepEqual(doc.forwards, [{
    proto: "tcp",
    port: 9987,
    to: "192.168.1.50:9987",
    state: "configured",
    peer: null,
    reason: null,
  }]);
  // Once sent and acknowledged by the VPS, the router says so.
  const acked = sampleStatus("router", {
    tunnel: sampleTunnel({
      forwardPush: { generation: 7, acked: true },
      counters: { forwardSyncsSent: 1 },
    }),
  });
  assert.equal(acked.forwards[0].state, "acknowledged");
  assert.deepEqual(statusDocumentProblems(acked), []);
});

Deno.test("the VPS lists each peer's forwards, the refused ones with the reason", () => {
  const doc = sampleStatus("vps", {
    edgeForwards: [
      { peer: "home", proto: "tcp", port: 8080, to: "10.0.0.2:80", state: "pushed", reason: null },
      {
        peer: "home",
        proto: "udp",
        port: 65001,
        to: "10.0.0.2:53",
        state: "refused",
        reason: "udp/65001 -> 10.0.0.2:53: ports 65000-65535 are reserved for the VPS itself",
      },
    ],
  });
  assert.deepEqual(doc.forwards.map((f) => [f.peer, f.port, f.state]), [
    ["home", 8080, "pushed"],
    ["home", 65001, "refused"],
  ]);
  assert.deepEqual(statusDocumentProblems(doc), []);
  const text = formatStatus(doc);
  assert.match(text, /^home +udp +65001 +10\.0\.0\.2:53 +refused: .*reserved for the VPS/m);
});

Deno.test("a peer without a handshake, or with an old one, has no session", () => {
  const tunnel = sampleTunnel();
  tunnel.peers.push({ ...tunnel.peers[0], name: "never", handshakeAgeMs: undefined });
  tunnel.peers.push({ ...tunnel.peers[0], name: "old", handshakeAgeMs: 200_000 });
  tunnel.peers.shift();
  const doc = sampleStatus("vps", { tunnel });
  assert.deepEqual(doc.peers.map((p) => p.session), ["none", "expired"]);
  assert.deepEqual(doc.tunnel, { up: false, handshake_age_ms: 200_000 });
  assert.deepEqual(statusDocumentProblems(doc), []);
});

Deno.test("a document of another shape is described key by key", () => {
  // deno-lint-ignore no-explicit-any
  const doc: any = JSON.parse(JSON.stringify(sampleStatus()));
  doc.schema = "bond.status/0";
  delete doc.tunnel.up;
  doc.peers[0].rx_bytes = -1;
  doc.peers[0].session = "maybe";
  doc.links[1].rtt_ms = "fast";
  doc.counters.dropReplay = 1.5;
  doc.reload.result = "partly";
  assert.deepEqual(statusDocumentProblems(doc), [
    "schema: want bond.status/1",
    "tunnel.up: missing",
    "peers[0].session: want established | expired | none",
    "peers[0].rx_bytes: want a whole number >= 0",
    "links[1].rtt_ms: want a number",
    "counters.dropReplay: want a whole number >= 0",
    "reload.result: want applied | rejected",
  ]);
  assert.deepEqual(statusDocumentProblems(null), ["(document): want an object"]);
});
