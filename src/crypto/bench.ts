/**
 * `bond bench crypto`: how fast each available AEAD backend seals and opens full-size packets
 * on this machine, one core, so a user can see which backend the data path will use and what
 * it leaves for the network.
 */
import type { TransportAead } from "./aead.ts";
import { AEAD_CANDIDATES, type AeadCandidate } from "./select.ts";

export interface CryptoBenchOptions {
  /**
   * Time spent per backend and direction, in milliseconds.
   * @default 1000
   */
  durationMs?: number;
  /**
   * Plaintext bytes per packet (a 1400-byte payload is a typical full tunnel packet).
   * @default 1400
   */
  packetBytes?: number;
  /**
   * Where each output line goes.
   * @default console.log
   */
  write?: (line: string) => void;
  /** Backends to measure, fastest first; defaults to the built-in ones. */
  candidates?: readonly AeadCandidate[];
}

export interface CryptoBenchResult {
  name: string;
  sealPacketsPerSecond: number;
  openPacketsPerSecond: number;
}

/** Packets between clock reads: few enough to stop near the deadline, many enough to be cheap. */
const BATCH = 64;
/** Hard cap on packets per measurement, so a broken clock cannot make the loop endless. */
const MAX_PACKETS = 100_000_000;

function measure(durationMs: number, step: (i: number) => void): number {
  const start = performance.now();
  const deadline = start + durationMs;
  let done = 0;
  let now = start;
  while (now < deadline && done < MAX_PACKETS) {
    for (let i = 0; i < BATCH; i++) step(done + i);
    done += BATCH;
    now = performance.now();
  }
  return done / ((now - start) / 1000);
}

function benchBackend(
  aead: TransportAead,
  durationMs: number,
  packetBytes: number,
): CryptoBenchResult {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const plain = crypto.getRandomValues(new Uint8Array(packetBytes));
  const sealed = new Uint8Array(packetBytes + 16);
  const opened = new Uint8Array(packetBytes);
  const seal = measure(durationMs, (i) => aead.seal(key, i, plain, sealed));
  // Open the same authentic packet over and over: the AEAD has no replay state of its own.
  const counter = 7;
  aead.seal(key, counter, plain, sealed);
  let failures = 0;
  const open = measure(durationMs, () => {
    if (!aead.open(key, counter, sealed, opened)) failures++;
  });
  if (failures > 0) {
    throw new Error(`crypto backend "${aead.name}" rejected ${failures} authentic packets`);
  }
  return { name: aead.name, sealPacketsPerSecond: seal, openPacketsPerSecond: open };
}

function mpps(rate: number): string {
  return (rate / 1e6).toFixed(3);
}

function gbps(rate: number, packetBytes: number): string {
  return ((rate * packetBytes * 8) / 1e9).toFixed(2);
}

function ratio(rate: number, base: number | undefined): string {
  return base === undefined || base <= 0 ? "-" : `${(rate / base).toFixed(1)}x`;
}

/** Left-aligns the first column and right-aligns the others, two spaces apart. */
function formatTable(rows: string[][]): string[] {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((row) =>
    row.map((cell, col) => col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))
      .join("  ").trimEnd()
  );
}

/**
 * Measures every available backend (seal, then open) and prints one aligned table with
 * packets/s, Gbit/s of payload per direction and the speed-up over noble. Returns the numbers.
 */
export async function runCryptoBench(
  options: CryptoBenchOptions = {},
): Promise<CryptoBenchResult[]> {
  const durationMs = options.durationMs ?? 1000;
  const packetBytes = options.packetBytes ?? 1400;
  const write = options.write ?? ((line: string) => console.log(line));
  const candidates = options.candidates ?? AEAD_CANDIDATES;
  if (!(durationMs > 0) || !Number.isInteger(packetBytes) || packetBytes < 0) {
    throw new RangeError(
      `runCryptoBench: durationMs must be > 0 and packetBytes an integer >= 0; ` +
        `got ${durationMs}, ${packetBytes}`,
    );
  }
  write(
    `ChaCha20-Poly1305, ${packetBytes}-byte packets, one core, ~${durationMs} ms per direction`,
  );
  const results: CryptoBenchResult[] = [];
  const unavailable: string[] = [];
  for (const candidate of candidates) {
    let loaded;
    try {
      loaded = await candidate.load();
    } catch (err) {
      unavailable.push(`${candidate.name}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    try {
      results.push(benchBackend(loaded.aead, durationMs, packetBytes));
    } finally {
      loaded.close();
    }
    // Let timers and signals run between backends: the whole bench takes seconds.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const noble = results.find((r) => r.name === "noble");
  const rows = [[
    "backend",
    "seal Mpkt/s",
    "seal Gbit/s",
    "open Mpkt/s",
    "open Gbit/s",
    "seal vs noble",
    "open vs noble",
  ]];
  for (const r of results) {
    rows.push([
      r.name,
      mpps(r.sealPacketsPerSecond),
      gbps(r.sealPacketsPerSecond, packetBytes),
      mpps(r.openPacketsPerSecond),
      gbps(r.openPacketsPerSecond, packetBytes),
      ratio(r.sealPacketsPerSecond, noble?.sealPacketsPerSecond),
      ratio(r.openPacketsPerSecond, noble?.openPacketsPerSecond),
    ]);
  }
  for (const line of formatTable(rows)) write(line);
  for (const reason of unavailable) write(`unavailable: ${reason}`);
  return results;
}
