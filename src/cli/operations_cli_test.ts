/**
 * `bond status`, `bond reload` and `bond speedtest` as users run them, against no daemon and
 * against a control socket served in this process.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { logger } from "../log.ts";
import { ControlServer } from "../control/control_server.ts";
import { sampleStatus } from "../control/test_status.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

async function bond(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: dirname(MAIN),
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

async function withDaemonStandIn(
  fn: (socket: string, dir: string) => Promise<void>,
  configFile = "/etc/bond/bond.yaml",
) {
  const dir = await Deno.makeTempDir({ prefix: "bond-cli-" });
  const socket = `${dir}/bnd0.sock`;
  const server = await ControlServer.open(socket, (req) =>
    Promise.resolve(
      req.command === "status"
        ? {
          ok: true,
          status: sampleStatus("router", { configFile: configFile.replace("DIR", dir) }),
        }
        : {
          ok: true,
          reload: { applied: ["log.level: info -> debug"], needs_restart: [], pending: ["links"] },
        },
    ), logger("test"));
  try {
    await fn(socket, dir);
  } finally {
    await server?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("status without a running daemon exits 1 and says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bond-cli-" });
  try {
    for (
      const args of [["status", "-socket", `${dir}/none.sock`], [
        "-status",
        "-socket",
        `${dir}/none.sock`,
      ]]
    ) {
      const r = await bond(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^bond: no bond daemon is running for .*none\.sock: the control socket does not exist$/m,
      );
    }
    // -config FILE leads to the socket the file names.
    await Deno.writeTextFile(`${dir}/b.yaml`, `control:\n  socket: ${dir}/named.sock\n`);
    const r = await bond(["status", "-config", `${dir}/b.yaml`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /named\.sock/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("status prints the table, --json the document, --watch --count N blocks", async () => {
  await withDaemonStandIn(async (socket) => {
    const text = await bond(["-status", "-socket", socket]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^tunnel {5}up, handshake 12s ago$/m);
    const json = await bond(["status", "--json", "-socket", socket]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), JSON.parse(JSON.stringify(sampleStatus())));
    const watch = await bond(["status", "--watch", "--count", "2", "--json", "-socket", socket]);
    assert.equal(watch.code, 0, watch.stderr);
    assert.equal(watch.stdout.trim().split("\n").length, 2, "one JSON line per refresh");
  });
});

Deno.test("reload prints what was applied and what is pending", async () => {
  await withDaemonStandIn(async (socket) => {
    const r = await bond(["reload", "-socket", socket]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "reloaded\napplied: log.level: info -> debug\naccepted, not acted on by this build yet: links\n",
    );
  });
});

Deno.test("speedtest of one link needs its daemon; flags are checked", async () => {
  const r = await bond(["speedtest", "dsl", "-socket", "/nonexistent.sock"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no bond daemon is running for \/nonexistent\.sock/);
  const other = await bond(["speedtest", "dsl", "--set", "lte", "-socket", "/nonexistent.sock"]);
  assert.equal(other.code, 2, "--set of another link than the one tested is a usage error");
  assert.match(other.stderr, /--set lte after a test of link "dsl" would write another link's/);
  const bad = await bond(["speedtest", "--seconds", "0"]);
  assert.equal(bad.code, 2);
  const both = await bond(["status", "-config", "x", "-socket", "y"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /not both/);
});

Deno.test("speedtest --set refuses, before measuring, links the bonded rate does not describe", async () => {
  await withDaemonStandIn(async (socket, dir) => {
    const file = `${dir}/bond.yaml`;
    const text = "links:\n  - name: dsl\n    device: eth1\n  - name: lte\n    device: wwan0\n";
    await Deno.writeTextFile(file, text);
    const unknown = await bond(["speedtest", "--set", "cable", "-socket", socket]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--set cable: no such link in .*bond\.yaml \(links: dsl, lte\)/);
    const two = await bond(["speedtest", "--set", "dsl", "-socket", socket]);
    assert.equal(two.code, 1);
    assert.match(
      two.stderr,
      /has 2 links, and a test without LINK measures the bonded tunnel.*run bond speedtest dsl --set dsl/,
    );
    assert.equal(await Deno.readTextFile(file), text, "the file must be untouched");
  }, "DIR/bond.yaml");
});
