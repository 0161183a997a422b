/**
 * `bond speedtest --set LINK`: writes a link's measured rates (`down_mbps`, `up_mbps`) into the
 * config file the user wrote, changing nothing else: comments, blank lines, alignment, quoting
 * and key order stay byte for byte. The yaml Document API finds where each value sits; the text
 * is edited only there (an existing value replaced, a missing key inserted after the link's
 * last key with the same indentation, or appended inside a flow mapping `{...}`).
 */
import { isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLMap } from "yaml";

export interface LinkRates {
  downMbps: number;
  upMbps: number;
}

/** Link names in the file's `links:` list, in order (empty when there is no such list). */
export function linkNamesIn(text: string): string[] {
  const links = parseDocument(text).get("links");
  if (!isSeq(links)) return [];
  return links.items.flatMap((item) => {
    const name = isMap(item) ? item.get("name") : undefined;
    return typeof name === "string" ? [name] : [];
  });
}

/** The text with `links[name=link].down_mbps/up_mbps` set; throws if there is no such link. */
export function setLinkRates(text: string, link: string, rates: LinkRates): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0].message}`);
  const links = doc.get("links");
  const map = isSeq(links)
    ? links.items.find((item): item is YAMLMap => isMap(item) && item.get("name") === link)
    : undefined;
  if (!map) {
    const names = linkNamesIn(text);
    throw new Error(
      names.length === 0
        ? `no link named "${link}": the file has no links list`
        : `no link named "${link}" (links: ${names.join(", ")})`,
    );
  }
  // Edits are applied from the end of the text backwards so earlier offsets stay valid.
  const edits: { at: number; end: number; insert: string }[] = [];
  const insertions: string[] = [];
  for (const [key, value] of [["down_mbps", rates.downMbps], ["up_mbps", rates.upMbps]] as const) {
    const existing = map.get(key, true) as Scalar | undefined;
    const number = formatRate(value);
    if (isScalar(existing) && existing.range) {
      edits.push({ at: existing.range[0], end: existing.range[1], insert: number });
    } else {
      insertions.push(`${key}: ${number}`);
    }
  }
  if (insertions.length > 0) edits.push(insertionInto(text, map, insertions));
  edits.sort((a, b) => b.at - a.at);
  let out = text;
  for (const e of edits) out = out.slice(0, e.at) + e.insert + out.slice(e.end);
  return out;
}

/** One decimal is more precision than a speed test has. */
function formatRate(mbps: number): string {
  if (!Number.isFinite(mbps) || mbps <= 0) throw new RangeError(`not a rate: ${mbps}`);
  return String(Math.max(0.1, Math.round(mbps * 10) / 10));
}

function insertionInto(text: string, map: YAMLMap, lines: string[]) {
  const last = map.items[map.items.length - 1];
  const lastNode = (last.value ?? last.key) as Scalar;
  if (map.flow) {
    // `{name: lte, device: wwan0}`: right after the last value, before the closing brace.
    const at = lastNode.range![1];
    return { at, end: at, insert: lines.map((l) => `, ${l}`).join("") };
  }
  const firstKey = map.items[0].key as Scalar;
  const keyStart = firstKey.range![0];
  const column = keyStart - (text.lastIndexOf("\n", keyStart - 1) + 1);
  // After the line that ends the link's last value (its trailing comment included).
  const eol = text.indexOf("\n", lastNode.range![1]);
  const at = eol < 0 ? text.length : eol;
  const indent = " ".repeat(column);
  return { at, end: at, insert: lines.map((l) => `\n${indent}${l}`).join("") };
}
