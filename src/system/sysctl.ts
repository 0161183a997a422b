/**
 * Kernel settings the daemon needs (IP forwarding on the VPS, src_valid_mark on the router),
 * written through /proc/sys and put back to what they were on stop.
 */
export class SysctlChanges {
  #saved: { path: string; value: string }[] = [];

  /** Sets `key` (dotted, e.g. "net.ipv4.ip_forward") to `value`, remembering the old value. */
  async set(key: string, value: string): Promise<void> {
    const path = `/proc/sys/${key.replaceAll(".", "/")}`;
    let old: string;
    try {
      old = (await Deno.readTextFile(path)).trim();
    } catch (err) {
      throw new Error(`sysctl ${key}: cannot read ${path}: ${(err as Error).message}`);
    }
    if (old === value) return;
    try {
      await Deno.writeTextFile(path, `${value}\n`);
    } catch (err) {
      throw new Error(`sysctl ${key}=${value}: ${(err as Error).message} (needs root)`);
    }
    this.#saved.push({ path, value: old });
  }

  /** Puts every changed setting back, newest first; failures are returned, not thrown. */
  async restore(): Promise<string[]> {
    const problems: string[] = [];
    for (const { path, value } of this.#saved.reverse()) {
      await Deno.writeTextFile(path, `${value}\n`).catch((err) =>
        problems.push(`restore ${path}: ${(err as Error).message}`)
      );
    }
    this.#saved = [];
    return problems;
  }
}
