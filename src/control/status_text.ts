/**
 * `bond status` for people: a summary block, then one table each for peers, links and
 * forwards. Every fact comes from the status document, so the text and `--json` never disagree.
 */
import { formatBytes, formatDuration, formatMbps } from "./human_units.ts";
import type { LanPrefixDoc, StatusDocument } from "./status_document.ts";
import { renderTable } from "./text_table.ts";

const NONE = "-";

export function formatStatus(doc: StatusDocument): string {
  const out: string[] = [];
  const iface = doc.interface;
  out.push(
    `bond ${doc.version}, ${doc.role}, ${iface.name} (${iface.addresses.join(", ")}, ` +
      `mtu ${iface.mtu}), running ${formatDuration(doc.uptime_ms)}, pid ${doc.pid}`,
  );
  const facts: [string, string][] = [
    ["tunnel", tunnelLine(doc)],
    ["crypto", doc.crypto.backend],
    ["offloads", doc.offloads.length === 0 ? "none" : doc.offloads.join(", ")],
    ["scheduler", doc.scheduler.mode],
    ["tcp split", tcpSplitLine(doc)],
    ["log level", doc.log_level],
    ["drops", dropsLine(doc.counters)],
  ];
  if (doc.metrics.listen) facts.push(["metrics", `http://${doc.metrics.listen}/metrics`]);
  if (doc.speedtest.listen.length > 0) facts.push(["speedtest", doc.speedtest.listen.join(", ")]);
  // "lan ipv6": the routed prefix from the VPS (a label no wider than the others).
  if (doc.lan_prefix) facts.push(["lan ipv6", lanPrefixLine(doc.lan_prefix)]);
  facts.push(["config", doc.config_file]);
  const reload = reloadLine(doc);
  if (reload) facts.push(["reload", reload]);
  const width = Math.max(...facts.map(([k]) => k.length));
  for (const [k, v] of facts) out.push(`${k.padEnd(width)}  ${v}`);

  out.push("");
  if (doc.peers.length === 0) out.push("no peers");
  else {
    out.push(...renderTable(
      ["PEER", "ENDPOINT", "HANDSHAKE", "SESSION", "RX", "TX", "PATHS"],
      doc.peers.map((p) => [
        p.name,
        p.endpoint ?? "(not known yet)",
        p.handshake_age_ms === null ? "never" : `${formatDuration(p.handshake_age_ms)} ago`,
        p.session,
        formatBytes(p.rx_bytes),
        formatBytes(p.tx_bytes),
        String(p.paths.length),
      ]),
    ));
  }

  if (doc.links.length > 0) {
    out.push("");
    out.push(...renderTable(
      [
        "LINK",
        "STATE",
        "DEVICE",
        "SOURCE",
        "WEIGHT",
        "RTT",
        "JITTER",
        "LOSS",
        "DOWN",
        "UP",
        "RX",
        "TX",
        "CHANGED",
      ],
      doc.links.map((l) => [
        l.name,
        l.state,
        l.device ?? NONE,
        l.source ?? NONE,
        String(l.weight),
        l.rtt_ms === null ? NONE : `${l.rtt_ms.toFixed(1)}ms`,
        l.jitter_ms === null ? NONE : `${l.jitter_ms.toFixed(1)}ms`,
        l.loss === null ? NONE : `${(l.loss * 100).toFixed(1)}%`,
        rate(l.rate_down_mbps, l.seed_down_mbps),
        rate(l.rate_up_mbps, l.seed_up_mbps),
        l.rx_bytes === null ? NONE : formatBytes(l.rx_bytes),
        l.tx_bytes === null ? NONE : formatBytes(l.tx_bytes),
        l.last_change ?? NONE,
      ]),
    ));
  }

  if (doc.forwards.length > 0) {
    out.push("");
    const vps = doc.role === "vps";
    out.push(...renderTable(
      [...vps ? ["PEER"] : [], "FORWARD", "PORT", "TO", "STATE"],
      doc.forwards.map((f) => [
        ...vps ? [f.peer ?? NONE] : [],
        f.proto,
        String(f.port),
        f.to,
        f.reason === null ? f.state : `${f.state}: ${f.reason}`,
      ]),
    ));
  }
  return out.join("\n") + "\n";
}

/** "none", "2001:db8:100::/64 received", "... applied on br-lan, advertising", "... failed: why". */
function lanPrefixLine(p: LanPrefixDoc): string {
  if (p.prefix === null) return p.state === "failed" ? `failed: ${p.reason}` : "none";
  const parts = [`${p.prefix} ${p.state}`];
  if (p.state === "applied" && p.interface) parts[0] += ` on ${p.interface}`;
  if (p.advertising) parts.push("advertising");
  const line = parts.join(", ");
  return p.reason === null ? line : `${line}: ${p.reason}`;
}

function tunnelLine(doc: StatusDocument): string {
  const age = doc.tunnel.handshake_age_ms;
  if (doc.tunnel.up) return `up, handshake ${formatDuration(age ?? 0)} ago`;
  if (age === null) return "no session yet (no handshake has completed)";
  return `no session (last handshake ${formatDuration(age)} ago; the next packet starts one)`;
}

/** "0", or the total and the reasons seen: "12 (drop_replay 10, drop_bad_mac1 2)". */
function dropsLine(counters: Record<string, number>): string {
  const drops = Object.entries(counters)
    .filter(([k, v]) => /^(drop|tunnelDrop)/.test(k) && v > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = drops.reduce((sum, [, v]) => sum + v, 0);
  if (total === 0) return "0";
  return `${total} (${drops.map(([k, v]) => `${k} ${v}`).join(", ")})`;
}

function reloadLine(doc: StatusDocument): string | undefined {
  const r = doc.reload;
  if (r.at === null) return undefined;
  const parts = [`${r.result} at ${r.at}`];
  if (r.problems.length > 0) parts.push(`problems: ${r.problems.join("; ")}`);
  if (r.needs_restart.length > 0) parts.push(`needs restart: ${r.needs_restart.join(", ")}`);
  if (r.pending.length > 0) parts.push(`pending: ${r.pending.join(", ")}`);
  return parts.join("; ");
}

/** A measured rate, else the configured seed marked as such, else "-". */
function rate(measured: number | null, seed: number | null): string {
  if (measured !== null) return formatMbps(measured);
  if (seed !== null) return `${formatMbps(seed)} (seed)`;
  return NONE;
}

function tcpSplitLine(doc: StatusDocument): string {
  const t = doc.tcp_split;
  if (t.state === "off" || t.state === "unavailable") {
    return t.reason ? `${t.state} (${t.reason})` : t.state;
  }
  const where = t.listener ? ` via ${t.listener}` : "";
  const counts =
    `${t.connections} open, ${t.accepted} in all, ${t.failed} not carried, ${t.reset} reset`;
  if (t.state === "waiting") return `waiting for the VPS's offer`;
  const windows = t.subflow_windows.flatMap((w) => w.initcwnd);
  const start = windows.length === 0
    ? ""
    : `; subflows start at ${Math.min(...windows)}-${Math.max(...windows)} packets`;
  const buffers = t.send_buffer_max === null
    ? ""
    : `; send buffers at most ${(t.send_buffer_max / 2 ** 20).toFixed(1)} MiB`;
  return `active${where}, ${counts}${start}${buffers}`;
}
