/**
 * Runs every test of the project (unit tests beside the code, root/netns tests under
 * tests/netns/) with `deno test`, then prints the closing line CI reads: `N passed, M failed`.
 *
 * Usage: deno task test [deno test arguments, e.g. a path or --filter]
 */
const junit = await Deno.makeTempFile({ prefix: "bond-test-", suffix: ".xml" });
const args = ["test", "-A", "--no-prompt", `--junit-path=${junit}`, ...Deno.args];
const child = new Deno.Command(Deno.execPath(), {
  args,
  stdin: "null",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const status = await child.status;

let passed = 0, failed = 0, skipped = 0;
try {
  const xml = await Deno.readTextFile(junit);
  // One <testcase> per test and per step; a failed one has a <failure> child, an ignored one <skipped/>.
  for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? "";
    if (/<failure\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
} catch (err) {
  console.error(`test: no JUnit report from deno test (${(err as Error).message})`);
} finally {
  await Deno.remove(junit).catch(() => {});
}
// deno test exits non-zero when a file fails to load: count that as a failure too.
if (!status.success && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
Deno.exit(failed > 0 || !status.success ? 1 : 0);
