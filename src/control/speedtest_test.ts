/** The speedtest responder and client over loopback (no tunnel needed for the protocol). */
import assert from "node:assert/strict";
import { parseCidr } from "../net/cidr.ts";
import { logger } from "../log.ts";
import { measure } from "./speedtest_client.ts";
import {
  defaultResponderHost,
  parseSpeedtestRequest,
  parseUploadReceipt,
} from "./speedtest_protocol.ts";
import { SpeedtestResponder } from "./speedtest_responder.ts";
import { freePort } from "./test_free_port.ts";

const log = logger("test");

/** A responder on loopback for peers in `allowed`, stopped after `fn`. */
async function withResponder(
  allowed: string,
  fn: (port: number, responder: SpeedtestResponder) => Promise<void>,
): Promise<void> {
  const port = freePort();
  const responder = new SpeedtestResponder(
    [parseCidr("127.0.0.1/8")],
    [parseCidr(allowed)],
    port,
    log,
  );
  try {
    await fn(port, responder);
  } finally {
    responder.stop();
  }
}

Deno.test("download and upload over loopback both move bytes and report a rate", async () => {
  await withResponder("127.0.0.0/8", async (port, responder) => {
    assert.deepEqual(responder.listening, [`127.0.0.1:${port}`]);
    const progress: string[] = [];
    const target = {
      host: "127.0.0.1",
      port,
      seconds: 0.6,
      onProgress: (phase: string) => progress.push(phase),
    };
    const down = await measure(target, "download");
    const up = await measure(target, "upload");
    for (const r of [down, up]) {
      assert.ok(r.bytes > 0 && r.ms > 0 && r.mbps > 0, JSON.stringify(r));
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    }
    assert.ok(progress.includes("download") && progress.includes("upload"));
  });
});

Deno.test("a source outside every peer's allowed IPs is refused", async () => {
  await withResponder("10.66.0.2/32", async (port) => {
    await assert.rejects(
      measure({ host: "127.0.0.1", port, seconds: 0.3 }, "download"),
      /closed without sending data/,
    );
  });
});

Deno.test("a bad request is answered with its reason, not with data", async () => {
  await withResponder("127.0.0.0/8", async (port) => {
    await assert.rejects(
      measure({ host: "127.0.0.1", port, seconds: 61 }, "download"),
      /seconds: want a number above 0 and at most 60/,
    );
  });
});

Deno.test("requests and receipts are checked", () => {
  assert.deepEqual(parseSpeedtestRequest('{"test":"upload","seconds":2}'), {
    test: "upload",
    seconds: 2,
  });
  assert.match(
    (parseSpeedtestRequest('{"test":"sideways","seconds":2}') as { error: string }).error,
    /test: want download \| upload/,
  );
  assert.ok("error" in parseSpeedtestRequest("{"));
  assert.ok("error" in parseSpeedtestRequest('{"test":"download","seconds":0}'));
  assert.deepEqual(parseUploadReceipt('{"bytes":10,"ms":2}'), { bytes: 10, ms: 2 });
  assert.throws(() => parseUploadReceipt('{"bytes":"x"}'), /unexpected answer/);
});

Deno.test("the responder is looked for at the first host of the tunnel subnet", () => {
  assert.equal(defaultResponderHost(["10.66.0.2/24", "fd66::2/64"]), "10.66.0.1");
  assert.equal(defaultResponderHost(["fd66::2/64", "10.77.0.2/24"]), "10.77.0.1");
  assert.equal(defaultResponderHost(["fd66::2/64"]), "fd66::1");
  // The router itself holds .1: nothing to guess from that subnet.
  assert.equal(defaultResponderHost(["10.66.0.1/24"]), undefined);
  assert.equal(defaultResponderHost(["10.66.0.2/32"]), undefined);
});
