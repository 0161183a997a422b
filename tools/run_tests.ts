/**
 * Runs every test of the project (unit tests beside the code, root/netns tests under
 * tests/netns/) with `deno test`, then prints the closing line CI reads: `N passed, M failed`.
 * Before the tests, a type check of every module (Workers and lab scripts are loaded by URL, so
 * `deno test` alone would not check them) and the linter count as one result each.
 *
 * Usage: deno task test [deno test arguments, e.g. a path or --filter]
 */
let passed = 0, failed = 0, skipped = 0;
const filtered = Deno.args.length > 0;
if (!filtered) {
  const checks: [string, string[]][] = [
    ["type check", ["check", "--quiet", "."]],
    ["lint", ["lint", "--quiet"]],
  ];
  for (const [name, args] of checks) {
    const r = await new Deno.Command(Deno.execPath(), { args, stdin: "null" }).output();
    const out = new TextDecoder().decode(r.stderr) + new TextDecoder().decode(r.stdout);
    if (r.success) {
      passed++;
      console.log(`${name} ... ok`);
    } else {
      failed++;
      console.log(`${name} ... FAILED\n${out}`);
    }
  }
}
const junit = await Deno.makeTempFile({ prefix: "bond-test-", suffix: ".xml" });
const args = ["test", "-A", "--no-prompt", `--junit-path=${junit}`, ...Deno.args];
const child = new Deno.Command(Deno.execPath(), {
  args,
  stdin: "null",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const status = await child.status;

let testFailures = 0;
try {
  const xml = await Deno.readTextFile(junit);
  // One <testcase> per test and per step; a failed one has a <failure> child, an ignored one <skipped/>.
  for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? "";
    if (/<failure\b/.test(body)) testFailures++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
} catch (err) {
  console.error(`test: no JUnit report from deno test (${(err as Error).message})`);
} finally {
  await Deno.remove(junit).catch(() => {});
}
// deno test exits non-zero when a file fails to load: count that as a failure too.
failed += !status.success && testFailures === 0 ? 1 : testFailures;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
Deno.exit(failed > 0 || !status.success ? 1 : 0);
