/**
 * The Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` once per family,
 * then its samples, label values escaped. Names are checked here so a bad name fails in a unit
 * test, not in a scraper.
 */

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function renderExposition(families: MetricFamily[]): string {
  const seen = new Set<string>();
  let out = "";
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new RangeError(`bad metric name "${f.name}"`);
    if (seen.has(f.name)) throw new RangeError(`metric family "${f.name}" given twice`);
    seen.add(f.name);
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${f.name}${labelText(s.labels)} ${valueText(s.value)}\n`;
  }
  return out;
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith("__")) throw new RangeError(`bad label name "${k}"`);
    parts.push(`${k}="${escapeLabelValue(v)}"`);
  }
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** `dropBadMac1` → `drop_bad_mac1`: counter names as label values and metric name parts. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
