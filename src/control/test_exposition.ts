/**
 * A strict parser of the Prometheus text exposition format (0.0.4), written from the format's
 * rules, for tests: HELP/TYPE at most once per family and before its samples, a family's
 * samples together, valid metric and label names, only \\ \" \n escapes in label values,
 * Go-style float values, no series twice, the text ending in a newline. Throws
 * AssertionError naming the line on the first violation.
 */
import assert from "node:assert/strict";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  type?: string;
  help?: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

export function parseExposition(text: string): Map<string, ParsedFamily> {
  assert.ok(text.endsWith("\n"), "exposition must end with a newline");
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  let current: string | undefined;
  const closed = new Set<string>();
  const enter = (name: string, lineNo: number) => {
    if (current !== name) {
      assert.ok(!closed.has(name), `line ${lineNo}: family ${name} is not contiguous`);
      if (current) closed.add(current);
      current = name;
    }
    if (!families.has(name)) families.set(name, { samples: [] });
    return families.get(name)!;
  };
  text.slice(0, -1).split("\n").forEach((line, i) => {
    const n = i + 1;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      assert.match(name, NAME, `line ${n}: bad metric name`);
      const fam = enter(name, n);
      if (kind === "HELP") {
        assert.equal(fam.help, undefined, `line ${n}: second HELP for ${name}`);
        assert.ok(!/\\[^\\n]/.test(rest.replace(/\\\\/g, "")), `line ${n}: bad escape in HELP`);
        fam.help = rest;
      } else {
        assert.equal(fam.type, undefined, `line ${n}: second TYPE for ${name}`);
        assert.equal(fam.samples.length, 0, `line ${n}: TYPE after samples of ${name}`);
        assert.ok(TYPES.includes(rest), `line ${n}: unknown type ${rest}`);
        fam.type = rest;
      }
      return;
    }
    assert.notEqual(line.trim(), "", `line ${n}: empty line`);
    const sample = parseSampleLine(line, n);
    const fam = enter(sample.name, n);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    assert.ok(!series.has(key), `line ${n}: series ${key} twice`);
    series.add(key);
    fam.samples.push(sample);
  });
  return families;
}

function parseSampleLine(line: string, n: number): ParsedSample {
  const nameEnd = line.search(/[{ ]/);
  assert.ok(nameEnd > 0, `line ${n}: no metric name`);
  const name = line.slice(0, nameEnd);
  assert.match(name, NAME, `line ${n}: bad metric name ${name}`);
  let i = nameEnd;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const eq = line.indexOf("=", i);
      assert.ok(eq > i, `line ${n}: label without =`);
      const label = line.slice(i, eq);
      assert.match(label, LABEL, `line ${n}: bad label name ${label}`);
      assert.ok(!label.startsWith("__"), `line ${n}: reserved label name ${label}`);
      assert.equal(line[eq + 1], '"', `line ${n}: label value not quoted`);
      let value = "";
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\") {
          const next = line[++j];
          assert.ok(["\\", '"', "n"].includes(next), `line ${n}: bad escape \\${next}`);
          value += next === "n" ? "\n" : next;
        } else value += line[j];
      }
      assert.equal(line[j], '"', `line ${n}: unterminated label value`);
      assert.ok(!(label in labels), `line ${n}: label ${label} twice`);
      labels[label] = value;
      i = j + 1;
      if (line[i] === ",") i++;
      else assert.equal(line[i], "}", `line ${n}: want , or } after a label`);
    }
    i++;
  }
  assert.equal(line[i], " ", `line ${n}: want one space before the value`);
  const parts = line.slice(i + 1).split(" ");
  assert.ok(parts.length === 1 || parts.length === 2, `line ${n}: want value [timestamp]`);
  const text = parts[0];
  const value = text === "NaN"
    ? NaN
    : text === "+Inf"
    ? Infinity
    : text === "-Inf"
    ? -Infinity
    : Number(text);
  assert.ok(
    /^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(text),
    `line ${n}: bad value ${text}`,
  );
  if (parts.length === 2) assert.match(parts[1], /^-?\d+$/, `line ${n}: bad timestamp`);
  return { name, labels, value };
}
