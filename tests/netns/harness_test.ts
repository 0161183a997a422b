/** The netns harness builds working links and always cleans up after itself. Needs root. */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { runCommand } from "./harness/command.ts";
import {
  cleanupStaleLabs,
  namespaceExists,
  REGISTRY_DIR,
  writeLabRecord,
} from "./harness/lab_registry.ts";
import { waitFor } from "./harness/wait_for.ts";

const ignore = !canCreateNamespaces();

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  return exists(`/proc/${pid}`);
}

Deno.test({
  name: "a veth link carries IPv4 and IPv6 pings between two hosts",
  ignore,
  async fn() {
    await using lab = await Lab.create("hn");
    await lab.addHost("a");
    await lab.addHost("b");
    const link = await lab.link("a", "b", {
      addrA: ["10.9.0.1/24", "fd09::1/64"],
      addrB: ["10.9.0.2/24", "fd09::2/64"],
      mtu: 1400,
    });
    assert.equal(link.ifA, "b");
    assert.match(await lab.ip("a", ["link", "show", "b"]), /mtu 1400/);
    const features = await lab.run("b", ["ethtool", "-k", "a"]);
    assert.match(features, /^tx-checksumming: off/m);
    assert.match(features, /^tcp-segmentation-offload: off/m);
    assert.match(features, /^generic-segmentation-offload: off/m);
    await lab.run("a", ["ping", "-c", "1", "-W", "2", "10.9.0.2"]);
    await lab.run("a", ["ping", "-6", "-c", "1", "-W", "2", "fd09::2"]);
    // Each namespace is its own network: the root namespace cannot see the lab's addresses.
    const root = await runCommand(["ip", "-o", "addr", "show"]);
    assert.doesNotMatch(root.stdout, /10\.9\.0\.1\//);
  },
});

Deno.test({
  name: "destroy kills spawned processes and removes namespaces, record and temp dir",
  ignore,
  async fn() {
    const lab = await Lab.create("hn");
    let namespaces: string[] = [];
    let pid = 0;
    try {
      await lab.addHost("a");
      await lab.addHost("b");
      namespaces = [lab.ns("a"), lab.ns("b")];
      assert.ok(namespaces.every(namespaceExists));
      assert.ok(exists(`${REGISTRY_DIR}/${lab.id}.json`));
      Deno.writeTextFileSync(`${lab.tmpDir}/marker`, "x");
      const proc = lab.spawn("a", ["sleep", "30"]);
      pid = proc.pid;
      assert.ok(processAlive(pid));
    } finally {
      await lab.destroy();
    }
    assert.ok(namespaces.length === 2 && !namespaces.some(namespaceExists));
    assert.ok(!processAlive(pid), `spawned pid ${pid} still alive`);
    assert.ok(!exists(lab.tmpDir));
    assert.ok(!exists(`${REGISTRY_DIR}/${lab.id}.json`));
    await lab.destroy(); // a second call is harmless
    await assert.rejects(() => lab.addHost("c"), /destroyed/);
  },
});

Deno.test({
  name: "await using removes the namespaces even when the body throws",
  ignore,
  async fn() {
    let names: string[] = [];
    await assert.rejects(async () => {
      await using lab = await Lab.create("hn");
      await lab.addHost("a");
      names = [lab.ns("a")];
      throw new Error("body failed");
    }, /body failed/);
    assert.equal(names.length, 1);
    assert.ok(!namespaceExists(names[0]));
  },
});

Deno.test({
  name: "exec returns exit code and output, run throws naming the command and its stderr",
  ignore,
  async fn() {
    await using lab = await Lab.create("hn");
    await lab.addHost("a");
    const ok = await lab.exec("a", ["sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert.deepEqual(ok, { code: 3, stdout: "out\n", stderr: "err\n", timedOut: false });
    const fed = await lab.exec("a", ["cat"], { stdin: "fed through stdin" });
    assert.equal(fed.stdout, "fed through stdin");
    await assert.rejects(
      () => lab.run("a", ["sh", "-c", "echo nope >&2; exit 2"]),
      /sh -c .* exited with code 2: nope/,
    );
  },
});

Deno.test({
  name: "exec kills a command that outlives its timeout",
  ignore,
  async fn() {
    await using lab = await Lab.create("hn");
    await lab.addHost("a");
    const started = performance.now();
    const result = await lab.exec("a", ["sleep", "20"], { timeoutMs: 300 });
    assert.equal(result.timedOut, true);
    assert.equal(result.code, 128 + 9);
    assert.ok(performance.now() - started < 5000);
  },
});

Deno.test({
  name: "stop sends SIGKILL to a process that ignores SIGTERM after the grace second",
  ignore,
  async fn() {
    await using lab = await Lab.create("hn");
    await lab.addHost("a");
    const proc = lab.spawn("a", [
      "sh",
      "-c",
      'trap "" TERM; echo ready; for i in $(seq 100); do sleep 0.1; done',
    ]);
    await waitFor(() => proc.stdout().includes("ready"), { what: "shell trap set" });
    const started = performance.now();
    const status = await proc.stop();
    const took = performance.now() - started;
    assert.equal(status.signal, "SIGKILL");
    assert.ok(took >= 900 && took < 5000, `stop took ${took} ms`);
  },
});

Deno.test({
  name: "link rejects an interface name longer than 15 characters",
  ignore,
  async fn() {
    await using lab = await Lab.create("hn");
    await lab.addHost("a");
    await lab.addHost("b");
    await assert.rejects(() => lab.link("a", "b", { ifA: "sixteen-chars-xx" }), /1-15 characters/);
  },
});

Deno.test({
  name: "cleanupStaleLabs removes a lab whose owner exited and keeps a live one",
  ignore,
  async fn() {
    await using live = await Lab.create("hn");
    await live.addHost("a");
    // A lab "owned" by a process that has already exited, as a crashed run leaves it.
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    const staleId = "btstale0f0f";
    const staleNs = `${staleId}-x`;
    const staleDir = await Deno.makeTempDir({ prefix: `${staleId}-` });
    try {
      writeLabRecord({
        labId: staleId,
        pid: dead.pid,
        pidStart: "1",
        created: new Date().toISOString(),
        namespaces: [staleNs],
        tmpDir: staleDir,
      });
      const add = await runCommand(["ip", "netns", "add", staleNs]);
      assert.equal(add.code, 0, add.stderr);
      const removed = await cleanupStaleLabs();
      assert.ok(removed.includes(staleNs), `removed: ${removed.join(" ")}`);
      assert.ok(!namespaceExists(staleNs));
      assert.ok(!exists(`${REGISTRY_DIR}/${staleId}.json`));
      assert.ok(!exists(staleDir), "the stale lab's temp dir is removed");
      assert.ok(namespaceExists(live.ns("a")));
    } finally {
      await runCommand(["ip", "netns", "del", staleNs]);
      await Deno.remove(staleDir, { recursive: true }).catch(() => {});
      try {
        Deno.removeSync(`${REGISTRY_DIR}/${staleId}.json`);
      } catch {
        // Already removed by the cleanup under test.
      }
    }
  },
});

Deno.test({
  name: "cleanupStaleLabs removes an unrecorded namespace of our naming only once old enough",
  ignore,
  async fn() {
    const orphan = "btorphan0a0a-x";
    try {
      const add = await runCommand(["ip", "netns", "add", orphan]);
      assert.equal(add.code, 0, add.stderr);
      assert.ok(!(await cleanupStaleLabs({ orphanAgeMinutes: 60 })).includes(orphan));
      assert.ok(namespaceExists(orphan), "a fresh orphan is kept: its owner may still be starting");
      assert.ok((await cleanupStaleLabs({ orphanAgeMinutes: 0 })).includes(orphan));
      assert.ok(!namespaceExists(orphan));
    } finally {
      await runCommand(["ip", "netns", "del", orphan]);
    }
  },
});

Deno.test("waitFor returns the first truthy value and times out naming the condition", async () => {
  let calls = 0;
  assert.equal(await waitFor(() => ++calls >= 3 && "done", { intervalMs: 5 }), "done");
  assert.equal(calls, 3);
  await assert.rejects(
    () =>
      waitFor(() => {
        throw new Error("not yet");
      }, { timeoutMs: 50, intervalMs: 10, what: "the moon" }),
    /waiting for the moon; last error: not yet/,
  );
});
