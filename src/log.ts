/**
 * One line per event on stderr: `LEVEL component: message key=value ...`. Levels filter; the
 * data path never logs per packet (it counts instead), so nothing here is on a hot path.
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
let threshold: number = RANK.info;

export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

export function logEnabled(level: LogLevel): boolean {
  return RANK[level] <= threshold;
}

export type LogFields = Record<string, string | number | boolean | undefined>;

export function log(level: LogLevel, component: string, message: string, fields?: LogFields): void {
  if (RANK[level] > threshold) return;
  let line = `${level.toUpperCase().padEnd(5)} ${component}: ${message}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const text = String(v);
      line += ` ${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
    }
  }
  console.error(line);
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
