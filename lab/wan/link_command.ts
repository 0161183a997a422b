/**
 * The words of `deno task lab link wanN ...` turned into a change of a running WAN:
 *
 *   (nothing) | status            show settings and counters
 *   down | up                     pull the cable / plug it back (both directions)
 *   rate 20mbit                   both directions; `rate 40mbit/20mbit` = down/up, like ISP plans
 *   delay 80ms   jitter 20ms      one-way, per direction (`delay 10ms/30ms` = down/up)
 *   loss 5%   burst 4             mean loss, mean burst length in packets (1 = random loss)
 *   queue 50ms | queue 64kb       the queue in front of the rate limit (time at the rate, or bytes)
 *   reorder on|off                let jitter reorder packets
 *
 * Several settings may follow each other: `delay 120ms jitter 20ms loss 1%`.
 */
import {
  checkLinkPatch,
  type DirectionPatch,
  type DirectionSettings,
  type LinkPatch,
} from "./wan_settings.ts";

export type LinkCommand = { kind: "status" } | { kind: "set"; patch: LinkPatch };

type NumericKey = Exclude<keyof DirectionSettings, "reorder" | "down">;

/** One value: the fields it sets. */
type ValueParser = (text: string) => DirectionPatch;

const UNITS_MBPS: Record<string, number> = {
  "": 1,
  bit: 1e-6,
  kbit: 1e-3,
  k: 1e-3,
  mbit: 1,
  m: 1,
  gbit: 1e3,
  g: 1e3,
};

const UNITS_MS: Record<string, number> = { "": 1, us: 1e-3, ms: 1, s: 1e3 };

const UNITS_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  kib: 1024,
  mb: 1e6,
  mib: 1024 * 1024,
};

function quantity(text: string, what: string, units: Record<string, number>): number {
  const m = /^(\d+(?:\.\d+)?)([a-z%]*)$/i.exec(text);
  const factor = m ? units[m[2].toLowerCase()] : undefined;
  if (!m || factor === undefined) {
    const known = Object.keys(units).filter((u) => u !== "").join(", ");
    throw new Error(`${what}: cannot read "${text}" (a number with one of: ${known})`);
  }
  return Number(m[1]) * factor;
}

function numeric(key: NumericKey, what: string, units: Record<string, number>): ValueParser {
  return (text) => ({ [key]: quantity(text, what, units) });
}

const PARSERS: Record<string, ValueParser> = {
  rate: (text) =>
    /^(0|off|unlimited|none)$/i.test(text)
      ? { rateMbps: 0 }
      : { rateMbps: quantity(text, "rate", UNITS_MBPS) },
  delay: numeric("delayMs", "delay", UNITS_MS),
  jitter: numeric("jitterMs", "jitter", UNITS_MS),
  loss: numeric("lossPercent", "loss", { "": 1, "%": 1 }),
  burst: numeric("burstLength", "burst", { "": 1 }),
  queue: (text) => {
    // A size ends in "b" (64kb, 1mib); anything else is a time (50ms, 1s).
    if (/b$/i.test(text)) return { queueBytes: Math.round(quantity(text, "queue", UNITS_BYTES)) };
    return { queueMs: quantity(text, "queue", UNITS_MS), queueBytes: 0 };
  },
  reorder: (text) => {
    if (/^(on|yes|true)$/i.test(text)) return { reorder: true };
    if (/^(off|no|false)$/i.test(text)) return { reorder: false };
    throw new Error(`reorder: want on or off, got "${text}"`);
  },
};

/** Parses the words after the link name; throws with a message meant for the user. */
export function parseLinkCommand(words: readonly string[]): LinkCommand {
  if (words.length === 0 || (words.length === 1 && words[0] === "status")) {
    return { kind: "status" };
  }
  if (words.length === 1 && (words[0] === "down" || words[0] === "up")) {
    const down = words[0] === "down";
    return { kind: "set", patch: { down: { down }, up: { down } } };
  }
  const patch: Required<LinkPatch> = { down: {}, up: {} };
  for (let i = 0; i < words.length; i += 2) {
    const key = words[i];
    const parse = PARSERS[key];
    if (!parse) {
      throw new Error(
        `unknown setting "${key}" (want: down, up, status, ${Object.keys(PARSERS).join(", ")})`,
      );
    }
    const value = words[i + 1];
    if (value === undefined) throw new Error(`${key}: missing value`);
    // "A/B" sets down to A and up to B; a single value sets both.
    const parts = value.split("/");
    if (parts.length > 2 || parts.some((p) => p === "")) {
      throw new Error(`${key}: want one value or down/up, got "${value}"`);
    }
    Object.assign(patch.down, parse(parts[0]));
    Object.assign(patch.up, parse(parts[parts.length - 1]));
  }
  checkLinkPatch(patch, "link");
  return { kind: "set", patch };
}
