/**
 * Finding the WAN emulators of a lab running elsewhere on this machine, for
 * `deno task lab link wanN ...`: each lab's record in the registry names its directory, and
 * each emulator's control socket there is `<wan name>.sock` (see start_wan_emulator.ts).
 */
import { processStartTime, REGISTRY_DIR } from "../../tests/netns/harness/lab_registry.ts";
import type { LabRecord } from "../../tests/netns/harness/lab_registry.ts";
import { runLinkCommand } from "./control_client.ts";

export interface RunningWan {
  labId: string;
  /** "wan1". */
  name: string;
  socketPath: string;
}

const SOCKET_SUFFIX = ".sock";

/** The emulators of live labs whose id starts with `bt<tag>`, sorted by lab and name. */
export async function findRunningWans(tag: string): Promise<RunningWan[]> {
  const found: RunningWan[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(REGISTRY_DIR));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  for (const entry of entries) {
    if (!entry.name.startsWith(`bt${tag}`) || !entry.name.endsWith(".json")) continue;
    let record: LabRecord;
    try {
      record = JSON.parse(await Deno.readTextFile(`${REGISTRY_DIR}/${entry.name}`));
    } catch {
      continue; // being rewritten or removed right now
    }
    if (!record.tmpDir || processStartTime(record.pid) !== record.pidStart) continue;
    try {
      for await (const file of Deno.readDir(record.tmpDir)) {
        if (!file.name.endsWith(SOCKET_SUFFIX)) continue;
        const name = file.name.slice(0, -SOCKET_SUFFIX.length);
        found.push({ labId: record.labId, name, socketPath: `${record.tmpDir}/${file.name}` });
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return found.sort((a, b) => a.labId.localeCompare(b.labId) || a.name.localeCompare(b.name));
}

/**
 * `link NAME WORDS...` against the one running lab of `tag`: returns the text to print, or
 * throws saying what is missing (no lab, no such link, several labs).
 */
export async function linkCommand(
  tag: string,
  name: string,
  words: readonly string[],
): Promise<string> {
  const wans = await findRunningWans(tag);
  const labs = [...new Set(wans.map((w) => w.labId))];
  if (labs.length === 0) throw new Error("no lab with emulated WANs is running");
  if (labs.length > 1) {
    throw new Error(`several labs are running (${labs.join(", ")}): stop all but one`);
  }
  const wan = wans.find((w) => w.name === name);
  if (!wan) throw new Error(`no link "${name}" (links: ${wans.map((w) => w.name).join(", ")})`);
  return await runLinkCommand(name, wan.socketPath, words);
}
