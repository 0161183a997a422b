/**
 * One line per event on stderr: `LEVEL component: message key=value ...`. Levels filter; the
 * data path never logs per packet (it counts instead), so nothing here is on a hot path.
 *
 * Identical lines are rate-limited: within a window the first few pass, the rest are counted
 * and summarised in one "last message repeated N more times" line when the window ends, so a
 * flapping link or a peer retrying every second cannot flood the log (or the disk under it).
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const LEVEL_OF_RANK: LogLevel[] = ["error", "warn", "info", "debug"];
let threshold: number = RANK.info;

export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

export function getLogLevel(): LogLevel {
  return LEVEL_OF_RANK[threshold];
}

export function logEnabled(level: LogLevel): boolean {
  return RANK[level] <= threshold;
}

export type LogFields = Record<string, string | number | boolean | undefined>;

/** `message key=value ...`, values quoted when they hold spaces, quotes or `=`. */
export function formatEvent(message: string, fields?: LogFields): string {
  let text = message;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const value = String(v);
      text += ` ${k}=${/[\s"=]/.test(value) ? JSON.stringify(value) : value}`;
    }
  }
  return text;
}

export interface RepeatLimitOptions {
  /** @default 10000 */
  windowMs?: number;
  /** Identical lines printed per window before the rest are only counted. @default 5 */
  burst?: number;
  /** Distinct lines remembered at once; the oldest is summarised and forgotten first. @default 256 */
  maxTracked?: number;
}

interface Tracked {
  since: number;
  seen: number;
  prefix: string;
  event: string;
}

/**
 * Writes log lines, holding back repeats of an identical line beyond `burst` per window.
 * Time and output are injected so the behaviour is testable without waiting.
 */
export class LogWriter {
  readonly #tracked = new Map<string, Tracked>();
  readonly #windowMs: number;
  readonly #burst: number;
  readonly #maxTracked: number;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number,
    opts: RepeatLimitOptions = {},
  ) {
    this.#windowMs = opts.windowMs ?? 10_000;
    this.#burst = opts.burst ?? 5;
    this.#maxTracked = opts.maxTracked ?? 256;
  }

  /** True when lines are being held back (a summary is owed). */
  get holding(): boolean {
    for (const t of this.#tracked.values()) if (t.seen > this.#burst) return true;
    return false;
  }

  line(level: LogLevel, component: string, event: string): void {
    const now = this.now();
    this.expire(now);
    const prefix = `${level.toUpperCase().padEnd(5)} ${component}:`;
    const text = `${prefix} ${event}`;
    let t = this.#tracked.get(text);
    if (!t) {
      if (this.#tracked.size >= this.#maxTracked) this.#forgetOldest();
      t = { since: now, seen: 0, prefix, event };
      this.#tracked.set(text, t);
    }
    t.seen++;
    if (t.seen <= this.#burst) this.write(text);
  }

  /** Summarises and forgets every line whose window has ended by `now`. */
  expire(now: number = this.now()): void {
    // Entries are inserted with non-decreasing `since`, so the expired ones come first.
    for (const [text, t] of this.#tracked) {
      if (now - t.since < this.#windowMs) break;
      this.#summarise(t, now);
      this.#tracked.delete(text);
    }
  }

  /** Writes every pending summary at once (at exit). */
  flush(): void {
    const now = this.now();
    for (const t of this.#tracked.values()) this.#summarise(t, now);
    this.#tracked.clear();
  }

  #forgetOldest(): void {
    const first = this.#tracked.entries().next();
    if (first.done) return;
    this.#summarise(first.value[1], this.now());
    this.#tracked.delete(first.value[0]);
  }

  #summarise(t: Tracked, now: number): void {
    const held = t.seen - this.#burst;
    if (held <= 0) return;
    const seconds = Math.max(1, Math.round((now - t.since) / 1000));
    this.write(
      `${t.prefix} last message repeated ${held} more time${held === 1 ? "" : "s"} ` +
        `in ${seconds}s: ${t.event}`,
    );
  }
}

const writer = new LogWriter((line) => console.error(line), () => performance.now());
let expiryTimer: ReturnType<typeof setInterval> | undefined;

export function log(level: LogLevel, component: string, message: string, fields?: LogFields): void {
  if (RANK[level] > threshold) return;
  writer.line(level, component, formatEvent(message, fields));
  if (writer.holding && expiryTimer === undefined) {
    // Summaries must appear even if the line never comes again; the timer must not keep a
    // finished process alive, hence unref.
    const timer = setInterval(() => {
      writer.expire();
      if (!writer.holding) {
        clearInterval(timer);
        expiryTimer = undefined;
      }
    }, 1000);
    Deno.unrefTimer(timer);
    expiryTimer = timer;
  }
}

/** Writes the pending "repeated N times" summaries now (the daemon calls this on exit). */
export function flushLog(): void {
  writer.flush();
  if (expiryTimer !== undefined) clearInterval(expiryTimer);
  expiryTimer = undefined;
}

/** A logger bound to one component name. */
export function logger(component: string) {
  return {
    error: (m: string, f?: LogFields) => log("error", component, m, f),
    warn: (m: string, f?: LogFields) => log("warn", component, m, f),
    info: (m: string, f?: LogFields) => log("info", component, m, f),
    debug: (m: string, f?: LogFields) => log("debug", component, m, f),
  };
}
export type Logger = ReturnType<typeof logger>;
