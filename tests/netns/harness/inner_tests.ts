/**
 * Runs a test file's own tests inside a fresh network namespace. FFI calls (TUN, netlink,
 * sockets) act on the calling process's namespace, so a test file that exercises them re-runs
 * itself under `ip netns exec` with BOND_NETNS_INNER=1 and checks that every inner test passed.
 * The namespace comes from a Lab: uniquely named, removed even on failure or after a crash.
 */
import assert from "node:assert/strict";
import { Lab } from "./netns.ts";

/** True in the re-run inside the namespace. */
export const INNER = Deno.env.get("BOND_NETNS_INNER") === "1";

/**
 * Registers the outer test: a Lab host `in`, the file re-run there, its summary checked.
 * `fileUrl` is the calling file's `import.meta.url`.
 */
export function testInsideNamespace(name: string, tag: string, fileUrl: string): void {
  Deno.test({
    name,
    ignore: Deno.uid() !== 0,
    async fn() {
      await using lab = await Lab.create(tag);
      await lab.addHost("in");
      const r = await lab.exec(
        "in",
        [Deno.execPath(), "test", "-A", new URL(fileUrl).pathname],
        { env: { BOND_NETNS_INNER: "1", NO_COLOR: "1" }, timeoutMs: 120_000 },
      );
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 0, `inner tests failed in ${lab.ns("in")}:\n${out}`);
      assert.match(out, /ok \| [1-9]\d* passed \| 0 failed/);
    },
  });
}
