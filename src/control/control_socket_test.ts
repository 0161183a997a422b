/** The control socket end to end in one process: server, client, stale and live sockets. */
import assert from "node:assert/strict";
import { logger } from "../log.ts";
import { controlRequest, DaemonNotRunningError } from "./control_client.ts";
import type { ControlResponse } from "./control_protocol.ts";
import { ControlServer } from "./control_server.ts";
import { sampleStatus } from "./test_status.ts";

const log = logger("test");

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "bond-ctl-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const handler = (req: { command: string }): Promise<ControlResponse> =>
  Promise.resolve(
    req.command === "status"
      ? { ok: true, status: sampleStatus() }
      : { ok: false, error: "rejected", problems: ["log.level: want one of ..."] },
  );

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("status and reload round-trip as JSON lines; the socket is 0600 and removed on close", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/sub/bnd0.sock`;
    const server = await ControlServer.open(path, handler, log);
    assert.ok(server);
    try {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${dir}/sub`)).mode! & 0o777, 0o700);
      const status = await controlRequest(path, { command: "status" });
      assert.ok(status.ok && "status" in status);
      assert.equal(status.status.interface.name, "bnd0");
      const reload = await controlRequest(path, { command: "reload", id: 7 });
      assert.deepEqual(reload, {
        ok: false,
        error: "rejected",
        problems: ["log.level: want one of ..."],
        id: 7,
      });
    } finally {
      await server.close();
    }
    assert.equal(await exists(path), false, "socket file left behind");
  });
});

Deno.test("bad requests get an error line and the connection serves on", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/c.sock`;
    const server = (await ControlServer.open(path, handler, log))!;
    try {
      const conn = await Deno.connect({ transport: "unix", path });
      await conn.write(
        new TextEncoder().encode('not json\n{"command":"reboot"}\n{"command":"status"}\n'),
      );
      let text = "";
      const buf = new Uint8Array(1 << 16);
      while (text.split("\n").length < 4) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      conn.close();
      const [a, b, c] = text.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(a, {
        ok: false,
        error: "request is not JSON (want one JSON object per line)",
      });
      assert.deepEqual(b, { ok: false, error: 'unknown command "reboot" (known: status, reload)' });
      assert.equal(c.ok, true);
    } finally {
      await server.close();
    }
  });
});

Deno.test("a missing or refused socket means the daemon is not running", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      controlRequest(`${dir}/none.sock`, { command: "status" }),
      (e: unknown) => e instanceof DaemonNotRunningError && /does not exist/.test(e.message),
    );
    const stale = await leaveStaleSocket(`${dir}/stale.sock`);
    await assert.rejects(
      controlRequest(stale, { command: "status" }),
      (e: unknown) => e instanceof DaemonNotRunningError && /connection refused/.test(e.message),
    );
  });
});

Deno.test("a stale socket from a crashed run is replaced; a live one is left alone", async () => {
  await withDir(async (dir) => {
    const path = await leaveStaleSocket(`${dir}/s.sock`);
    const first = await ControlServer.open(path, handler, log);
    assert.ok(first, "the stale socket should have been replaced");
    try {
      assert.ok((await controlRequest(path, { command: "status" })).ok);
      const second = await ControlServer.open(path, handler, log);
      assert.equal(second, undefined, "a live daemon's socket must not be taken over");
      assert.ok((await controlRequest(path, { command: "status" })).ok, "first still answers");
    } finally {
      await first.close();
    }
  });
});

Deno.test("a path that is not a socket is refused, not removed", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/file.sock`;
    await Deno.writeTextFile(path, "precious");
    await assert.rejects(ControlServer.open(path, handler, log), /exists and is not a socket/);
    assert.equal(await Deno.readTextFile(path), "precious");
  });
});

/** A socket file whose process died without closing it (SIGKILL), as after a crash. */
async function leaveStaleSocket(path: string): Promise<string> {
  const code = `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} });` +
    `Deno.kill(Deno.pid, "SIGKILL");`;
  await new Deno.Command(Deno.execPath(), { args: ["eval", code], stderr: "null" }).output();
  assert.ok((await Deno.lstat(path)).isSocket, "no stale socket was left");
  return path;
}
