/**
 * Go tools and the OpenWrt world spell long flags with one dash (`-config`); node:util parseArgs
 * only knows `--config`. Rewriting `-word` to `--word` up front lets one strict parser serve both
 * spellings. Single-letter flags (`-h`) and everything after `--` are left alone.
 */
export function normalizeFlags(args: readonly string[]): string[] {
  const out: string[] = [];
  let flagsEnded = false;
  for (const arg of args) {
    if (arg === "--") flagsEnded = true;
    const oneDashLong = !flagsEnded && /^-[^-].+/.test(arg) && !/^-.=/.test(arg);
    out.push(oneDashLong ? `-${arg}` : arg);
  }
  return out;
}
