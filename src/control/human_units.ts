/** Quantities as people read them in `bond status` and `bond speedtest`. */

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 0 B, 512 B, 1.5 KiB, 12.3 MiB, 1.02 GiB: three significant digits above 1 KiB. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** 850ms, 12s, 3m04s, 2h05m, 3d04h: the two largest units. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/** Megabits per second with three significant digits: 0.512, 9.87, 98.7, 987, 1234. */
export function formatMbps(mbps: number): string {
  const digits = mbps >= 100 ? 0 : mbps >= 10 ? 1 : mbps >= 1 ? 2 : 3;
  return `${mbps.toFixed(digits)} Mbit/s`;
}

/** Bits per second from bytes moved in a number of milliseconds, in Mbit/s. */
export function mbpsOf(bytes: number, ms: number): number {
  return ms > 0 ? (bytes * 8) / (ms * 1000) : 0;
}
