import assert from "node:assert/strict";
import { formatWanStatus, runLinkCommand, wanControl } from "./control_client.ts";
import type { ControlRequest, WanStatus } from "./control_protocol.ts";
import { parseRequest, serveWanControl } from "./control_server.ts";
import { emptyStats } from "./delay_line.ts";
import { applyLinkPatch, linkSettings } from "./wan_settings.ts";

/** A control server over a fake emulator that just keeps the settings. */
async function withServer(
  fn: (path: string, seen: ControlRequest[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wanctl-" });
  const path = `${dir}/wan1.sock`;
  let settings = linkSettings({ down: { delayMs: 30 }, up: { delayMs: 30 } });
  const seen: ControlRequest[] = [];
  const server = serveWanControl(path, (request): Promise<WanStatus> => {
    seen.push(request);
    if (request.op === "set") settings = applyLinkPatch(settings, request.patch);
    return Promise.resolve({ settings, stats: { down: emptyStats(), up: emptyStats() } });
  });
  try {
    await fn(path, seen);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a set request over the socket changes the settings and returns them", async () => {
  await withServer(async (path, seen) => {
    const status = await wanControl(path, { op: "set", patch: { up: { lossPercent: 5 } } });
    assert.equal(status.settings.up.lossPercent, 5);
    assert.equal(status.settings.down.lossPercent, 0);
    assert.equal(status.settings.up.delayMs, 30);
    assert.deepEqual(seen, [{ op: "set", patch: { up: { lossPercent: 5 } } }]);
    const again = await wanControl(path, { op: "status" });
    assert.equal(again.settings.up.lossPercent, 5);
  });
});

Deno.test("runLinkCommand parses words, applies them and prints both directions", async () => {
  await withServer(async (path) => {
    const text = await runLinkCommand("wan1", path, ["delay", "80ms"]);
    assert.match(text, /^wan1 down \(internet → router\): unlimited, delay 80 ms$/m);
    assert.match(text, /^wan1 up {3}\(router → internet\): unlimited, delay 80 ms$/m);
    assert.match(await runLinkCommand("wan1", path, ["down"]), /DOWN \(blackholed\)/);
  });
});

Deno.test("a bad request gets an error answer and the server keeps serving", async () => {
  await withServer(async (path) => {
    await assert.rejects(
      wanControl(path, { op: "set", patch: { up: { delayMs: -5 } } }),
      /patch.up.delayMs: .* got -5/,
    );
    await assert.rejects(wanControl(path, { op: "reboot" } as never), /unknown op "reboot"/);
    assert.equal((await wanControl(path, { op: "status" })).settings.up.delayMs, 30);
  });
});

Deno.test("parseRequest refuses what is not a request", () => {
  assert.throws(() => parseRequest("{"), /not JSON/);
  assert.throws(() => parseRequest("[]"), /unknown op undefined/);
  assert.throws(() => parseRequest('{"op":"set","patch":{"up":{"down":"yes"}}}'), /true or false/);
});

Deno.test("formatWanStatus prints the counters", () => {
  const stats = {
    down: emptyStats(),
    up: { ...emptyStats(), received: 10, delivered: 7, lostRandom: 3 },
  };
  const text = formatWanStatus("wan2", { settings: linkSettings(), stats });
  assert.match(text, /10 in, 7 out, held 0; lost: 3 by loss/);
});
