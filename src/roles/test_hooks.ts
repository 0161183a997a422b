/**
 * Test-only hook: BOND_TEST_PROTOCOL_TIMERS='{"rekeyAfterTime": 3000, ...}' shortens protocol
 * timers (milliseconds) so tests can cross a rekey in seconds instead of minutes. The defaults
 * in src/protocol/constants.ts are never edited; using the hook is logged as a warning.
 */
import type { Logger } from "../log.ts";
import { DEFAULT_TIMERS, type ProtocolTimers } from "../protocol/timers.ts";

export const TEST_TIMERS_ENV = "BOND_TEST_PROTOCOL_TIMERS";

export function testTimerOverrides(log: Logger): Partial<ProtocolTimers> | undefined {
  const text = Deno.env.get(TEST_TIMERS_ENV);
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${TEST_TIMERS_ENV}: not JSON: ${text}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${TEST_TIMERS_ENV}: want an object of timer names to milliseconds`);
  }
  const out: Partial<ProtocolTimers> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(k in DEFAULT_TIMERS)) {
      throw new Error(
        `${TEST_TIMERS_ENV}.${k}: unknown timer (known: ${Object.keys(DEFAULT_TIMERS).join(", ")})`,
      );
    }
    if (typeof v !== "number" || !(v > 0)) {
      throw new Error(`${TEST_TIMERS_ENV}.${k}: want a positive number`);
    }
    out[k as keyof ProtocolTimers] = v;
  }
  log.warn("protocol timers overridden for testing", { timers: JSON.stringify(out) });
  return out;
}
