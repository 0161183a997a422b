import assert from "node:assert/strict";
import { DAEMON_V8_FLAGS, v8FlagsOption } from "./v8_flags.ts";

Deno.test("v8FlagsOption passes every daemon flag in one --v8-flags option", () => {
  assert.equal(v8FlagsOption(), `--v8-flags=${DAEMON_V8_FLAGS.join(",")}`);
  assert.ok(DAEMON_V8_FLAGS.includes("--expose-gc"));
});

Deno.test("with the daemon's flags a Worker can collect its heap, as the data path's Workers do", async () => {
  // The flags are the process's; this checks they reach a Worker's isolate, where
  // collectStartupGarbage would otherwise do nothing without a word.
  const dir = await Deno.makeTempDir({ prefix: "bond-v8flags-" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `const src = "postMessage(typeof globalThis.gc); close();";
const url = URL.createObjectURL(new Blob([src], { type: "application/javascript" }));
const w = new Worker(url, { type: "module" });
const inWorker = await new Promise((r) => { w.onmessage = (e) => r(e.data); });
console.log(typeof globalThis.gc, inWorker);
w.terminate();`,
    );
    const run = async (flags: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", ...flags, script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout).trim();
    };
    assert.equal(await run([v8FlagsOption()]), "function function");
    assert.equal(await run([]), "undefined undefined");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
