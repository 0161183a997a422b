/**
 * A record of live labs in /run, so a run can remove what an earlier crashed run left behind
 * without touching labs of runs that are still going (other engineers, parallel test files).
 *
 * Each lab writes `/run/bond-lab/<labId>.json` naming its owner process (pid plus its start time,
 * so a recycled pid is not mistaken for the owner) and its namespaces, *before* it creates them.
 * A lab whose owner is gone is stale. Namespaces named like ours but with no record (the record
 * was lost) are stale only once older than a given age, judged by their /run/netns entry's mtime,
 * which is the time the namespace was created.
 */
import { runCommand } from "./command.ts";

export const REGISTRY_DIR = "/run/bond-lab";
const NETNS_DIR = "/run/netns";

/** Namespaces of our labs: `bt<tag><4 hex>-<host>`. */
export const LAB_NAMESPACE_PATTERN = /^(bt[a-z0-9]{1,8}[0-9a-f]{4})-[a-z][a-z0-9]{0,9}$/;

export interface LabRecord {
  labId: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: the owner's start time in clock ticks since boot. */
  pidStart: string;
  created: string;
  namespaces: string[];
  /** The lab's private directory, removed with it. */
  tmpDir?: string;
}

/** The start time of a process, or null when no such process is running. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** Writes the first record of a lab; false if a lab of that id already exists. */
export function reserveLabRecord(record: LabRecord): boolean {
  Deno.mkdirSync(REGISTRY_DIR, { recursive: true });
  try {
    Deno.writeTextFileSync(`${REGISTRY_DIR}/${record.labId}.json`, JSON.stringify(record), {
      createNew: true,
    });
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    throw err;
  }
}

export function writeLabRecord(record: LabRecord): void {
  Deno.mkdirSync(REGISTRY_DIR, { recursive: true });
  const path = `${REGISTRY_DIR}/${record.labId}.json`;
  // Write then rename, so a reader never sees half a record.
  Deno.writeTextFileSync(`${path}.tmp`, JSON.stringify(record));
  Deno.renameSync(`${path}.tmp`, path);
}

export function removeLabRecord(labId: string): void {
  try {
    Deno.removeSync(`${REGISTRY_DIR}/${labId}.json`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

function readLabRecords(): LabRecord[] {
  const records: LabRecord[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(REGISTRY_DIR)];
  } catch {
    return records;
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    try {
      records.push(JSON.parse(Deno.readTextFileSync(`${REGISTRY_DIR}/${entry.name}`)));
    } catch {
      // A record being replaced right now, or garbage: the owner rewrites it, so skip it.
    }
  }
  return records;
}

function listNamespaces(): { name: string; mtimeMs: number }[] {
  const out: { name: string; mtimeMs: number }[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(NETNS_DIR)];
  } catch {
    return out;
  }
  for (const entry of entries) {
    try {
      const info = Deno.statSync(`${NETNS_DIR}/${entry.name}`);
      out.push({ name: entry.name, mtimeMs: info.mtime?.getTime() ?? Date.now() });
    } catch {
      // Deleted while we looked.
    }
  }
  return out;
}

/** Kills every process inside a namespace, then deletes it. Missing namespaces are fine. */
export async function deleteNamespace(ns: string): Promise<void> {
  const pids = await runCommand(["ip", "netns", "pids", ns], { timeoutMs: 5000 });
  if (pids.code === 0) {
    for (const line of pids.stdout.split("\n")) {
      const pid = Number(line.trim());
      if (!Number.isInteger(pid) || pid <= 1 || pid === Deno.pid) continue;
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }
  }
  const del = await runCommand(["ip", "netns", "del", ns], { timeoutMs: 5000 });
  if (del.code !== 0 && namespaceExists(ns)) {
    throw new Error(`ip netns del ${ns} failed: ${del.stderr.trim()}`);
  }
}

export function namespaceExists(ns: string): boolean {
  try {
    Deno.statSync(`${NETNS_DIR}/${ns}`);
    return true;
  } catch {
    return false;
  }
}

export interface CleanupOptions {
  /**
   * Namespaces named like ours with no lab record are removed once older than this.
   * @default 60
   */
  orphanAgeMinutes?: number;
}

/**
 * Removes labs whose owner process has exited, and unrecorded namespaces of our naming older than
 * `orphanAgeMinutes`. Returns the namespaces removed.
 */
export async function cleanupStaleLabs(opts: CleanupOptions = {}): Promise<string[]> {
  const orphanAgeMs = (opts.orphanAgeMinutes ?? 60) * 60_000;
  const removed: string[] = [];
  const namespaces = listNamespaces();
  const live = new Set<string>();
  for (const record of readLabRecords()) {
    if (processStartTime(record.pid) === record.pidStart) {
      live.add(record.labId);
      continue;
    }
    const prefix = `${record.labId}-`;
    const doomed = new Set(record.namespaces);
    for (const ns of namespaces) if (ns.name.startsWith(prefix)) doomed.add(ns.name);
    for (const ns of doomed) {
      if (!namespaceExists(ns)) continue;
      await deleteNamespace(ns);
      removed.push(ns);
    }
    if (record.tmpDir?.includes(record.labId)) {
      await Deno.remove(record.tmpDir, { recursive: true }).catch(() => {});
    }
    removeLabRecord(record.labId);
  }
  const now = Date.now();
  for (const ns of namespaces) {
    const match = LAB_NAMESPACE_PATTERN.exec(ns.name);
    if (!match || live.has(match[1]) || !namespaceExists(ns.name)) continue;
    if (now - ns.mtimeMs < orphanAgeMs) continue;
    await deleteNamespace(ns.name);
    removed.push(ns.name);
  }
  return removed;
}
