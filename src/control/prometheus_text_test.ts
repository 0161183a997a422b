/** The metrics page against the text exposition format, read by a strict parser. */
import assert from "node:assert/strict";
import { renderExposition, snakeCase } from "./prometheus_text.ts";
import { statusMetrics } from "./status_metrics.ts";
import { sampleStatus, sampleTunnel } from "./test_status.ts";
import { parseExposition } from "./test_exposition.ts";

Deno.test("the metrics page parses as valid exposition, every family typed and described", () => {
  const text = renderExposition(statusMetrics(sampleStatus()));
  const families = parseExposition(text);
  for (const [name, fam] of families) {
    assert.ok(fam.type, `${name} has no TYPE`);
    assert.ok(fam.help, `${name} has no HELP`);
    if (fam.type === "counter") {
      assert.ok(name.endsWith("_total"), `counter ${name} should end in _total`);
      for (const s of fam.samples) assert.ok(s.value >= 0 && Number.isFinite(s.value));
    }
  }
  const one = (name: string, labels: Record<string, string> = {}) => {
    const fam = families.get(name);
    assert.ok(fam, `no family ${name}`);
    const hit = fam.samples.filter((s) =>
      Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    );
    assert.equal(hit.length, 1, `${name}${JSON.stringify(labels)}: ${hit.length} samples`);
    return hit[0];
  };
  const peer = { peer: "edge", public_key: "Jx3y0p2rK1wQm9H8s4tDvbL6cN7eF0gA5iU2oZ3kX1Q=" };
  assert.equal(one("bond_build_info").labels.role, "router");
  assert.equal(one("bond_build_info").labels.crypto, "openssl");
  assert.equal(one("bond_tunnel_up").value, 1);
  assert.equal(one("bond_peer_handshake_age_seconds", peer).value, 12.346);
  assert.equal(one("bond_peer_receive_bytes_total", peer).value, 5 * 1024 * 1024);
  assert.equal(one("bond_peer_transmit_packets_total", peer).value, 12);
  assert.equal(one("bond_drops_total", { reason: "drop_replay" }).value, 3);
  assert.equal(one("bond_drops_total", { reason: "tunnel_drop_no_peer" }).value, 0);
  assert.equal(one("bond_datapath_events_total", { event: "transport_received" }).value, 4000);
  assert.equal(one("bond_scheduler_mode", { mode: "aggregate" }).value, 1);
  assert.equal(one("bond_tcp_split_state", { state: "off" }).value, 1);
  assert.equal(one("bond_tcp_split_connections").value, 0);
  assert.equal(one("bond_tcp_split_accepted_total").value, 0);
  assert.equal(one("bond_link_info", { link: "lte", state: "configured" }).value, 1);
  assert.equal(one("bond_start_time_seconds").value, Date.UTC(2025, 0, 2, 3, 4, 5) / 1000);
  // Links are not measured yet: their measurement families are present and empty.
  assert.deepEqual(families.get("bond_link_rtt_seconds")?.samples, []);
});

Deno.test("levels among the data path's counters are gauges, not counters that could go down", () => {
  const status = sampleStatus();
  status.counters = { ...status.counters, rxReorderMaxBuffered: 9, rxReorderExtraMs: 12 };
  const families = parseExposition(renderExposition(statusMetrics(status)));
  const events = families.get("bond_datapath_events_total")!.samples.map((s) => s.labels.event);
  assert.ok(events.includes("transport_received"));
  assert.ok(!events.includes("rx_reorder_extra_ms") && !events.includes("rx_reorder_max_buffered"));
  const levels = families.get("bond_datapath_level")!;
  assert.equal(levels.type, "gauge");
  assert.deepEqual(
    levels.samples.map((s) => [s.labels.name, s.value]),
    [["rx_reorder_extra_ms", 12], ["rx_reorder_max_buffered", 9]],
  );
});

Deno.test("label values with quotes, backslashes and newlines are escaped and read back", () => {
  const tunnel = sampleTunnel();
  tunnel.peers[0].name = 'o"dd\\name\nx';
  const families = parseExposition(
    renderExposition(statusMetrics(sampleStatus("vps", { tunnel }))),
  );
  const s = families.get("bond_peer_receive_bytes_total")!.samples[0];
  assert.equal(s.labels.peer, 'o"dd\\name\nx');
});

Deno.test("a peer without a handshake has no age sample, and special values are spelt right", () => {
  const tunnel = sampleTunnel();
  tunnel.peers[0].handshakeAgeMs = undefined;
  const families = parseExposition(
    renderExposition(statusMetrics(sampleStatus("vps", { tunnel }))),
  );
  assert.deepEqual(families.get("bond_peer_handshake_age_seconds")!.samples, []);
  assert.equal(families.get("bond_tunnel_up")!.samples[0].value, 0);
  const special = renderExposition([{
    name: "x",
    help: "back\\slash\nnewline",
    type: "gauge",
    samples: [{ value: NaN, labels: { a: "1" } }, { value: Infinity, labels: { a: "2" } }, {
      value: -Infinity,
      labels: { a: "3" },
    }],
  }]);
  assert.equal(
    special,
    '# HELP x back\\\\slash\\nnewline\n# TYPE x gauge\nx{a="1"} NaN\nx{a="2"} +Inf\nx{a="3"} -Inf\n',
  );
  parseExposition(special);
});

Deno.test("bad metric or label names, and a family given twice, are refused", () => {
  const fam = (name: string, labels?: Record<string, string>) => ({
    name,
    help: "h",
    type: "gauge" as const,
    samples: [{ value: 1, labels }],
  });
  assert.throws(() => renderExposition([fam("9lives")]), /bad metric name "9lives"/);
  assert.throws(() => renderExposition([fam("ok", { "a-b": "x" })]), /bad label name "a-b"/);
  assert.throws(() => renderExposition([fam("ok", { __name: "x" })]), /bad label name "__name"/);
  assert.throws(() => renderExposition([fam("ok"), fam("ok")]), /given twice/);
});

Deno.test("the strict parser itself rejects broken exposition", () => {
  assert.throws(() => parseExposition("# TYPE a gauge\na 1\nb 2\na 3\n"), /not contiguous/);
  assert.throws(() => parseExposition('a{x="\\t"} 1\n'), /bad escape/);
  assert.throws(() => parseExposition("a 1\n# TYPE a gauge\n"), /TYPE after samples/);
  assert.throws(() => parseExposition("a one\n"), /bad value/);
  assert.throws(() => parseExposition("a 1\na 2\n"), /twice/);
  assert.throws(() => parseExposition("a 1"), /end with a newline/);
});

Deno.test("counter names become snake_case label values", () => {
  assert.equal(snakeCase("dropBadMac1"), "drop_bad_mac1");
  assert.equal(snakeCase("tunnelDropStagedOverflow"), "tunnel_drop_staged_overflow");
  assert.equal(snakeCase("tunWriteErrors"), "tun_write_errors");
});
