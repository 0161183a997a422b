/**
 * Per-link speed test over loopback: grants through the bonded responder, download and upload
 * against the link responder with the FFI client, and every way a grant is refused. The
 * responders run in a Worker (link_speedtest_test_worker.ts) because the client blocks this
 * thread. Binding a device and marking need root and the lab: tests/netns/link_speedtest_test.ts.
 */
import assert from "node:assert/strict";
import { requestGrant } from "./link_speedtest_grant.ts";
import { measureLink } from "./link_speedtest_client.ts";
import { parseGrantAnswer, parseResponderRequest } from "./speedtest_protocol.ts";
import { SpeedtestResponder } from "./speedtest_responder.ts";
import { freePort } from "./test_free_port.ts";
import { parseCidr } from "../net/cidr.ts";
import { logger } from "../log.ts";

interface Ports {
  tunnelPort: number;
  linkPort: number;
  listening: string[];
}

async function withResponders(fn: (p: Ports) => Promise<void>): Promise<void> {
  const worker = new Worker(new URL("./link_speedtest_test_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    const ports = await new Promise<Ports>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data as Ports);
      worker.onerror = (e) => reject(new Error(e.message));
    });
    await fn(ports);
  } finally {
    worker.postMessage("stop");
    // Let the Worker close its listeners before the next test binds.
    await new Promise((r) => setTimeout(r, 50));
    worker.terminate();
  }
}

/** Sends one line to the link responder with Deno's TCP, returns what it answers. */
async function rawLinkRequest(port: number, line: string | null): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (line !== null) await conn.write(new TextEncoder().encode(line + "\n"));
    const buf = new Uint8Array(4096);
    let text = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return text;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

Deno.test("protocol: grant requests and tokens parse; a grant answer is checked", () => {
  assert.deepEqual(parseResponderRequest('{"grant":"link"}'), { grant: "link" });
  assert.deepEqual(parseResponderRequest('{"grant":"bonded"}'), { error: "grant: want link" });
  assert.deepEqual(parseResponderRequest('{"test":"upload","seconds":2,"token":"ab"}'), {
    test: "upload",
    seconds: 2,
    token: "ab",
  });
  assert.deepEqual(parseResponderRequest('{"test":"upload","seconds":2,"token":5}'), {
    error: "token: want a string",
  });
  assert.deepEqual(parseGrantAnswer('{"token":"ab","port":65002,"expires_ms":30000}'), {
    token: "ab",
    port: 65002,
    expires_ms: 30000,
  });
  assert.throws(
    () => parseGrantAnswer('{"error":"too many"}'),
    /the VPS refused a grant: too many/,
  );
  assert.throws(
    () => parseGrantAnswer('{"error":"test: want download | upload"}'),
    /does not grant link tests: update bond on the VPS/,
  );
  assert.throws(() => parseGrantAnswer("{}"), /does not grant link tests/);
});

Deno.test({
  name: "link test over loopback: a grant per phase, download and upload move bytes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withResponders(async ({ tunnelPort, linkPort, listening }) => {
      assert.deepEqual(listening, [`127.0.0.1:${linkPort}`]);
      const progress: string[] = [];
      const target = {
        host: "127.0.0.1",
        source: "127.0.0.1",
        seconds: 0.8,
        onProgress: (phase: string) => progress.push(phase),
      };
      const g1 = await requestGrant("127.0.0.1", tunnelPort);
      assert.equal(g1.port, linkPort);
      assert.match(g1.token, /^[0-9a-f]{32}$/);
      assert.ok(g1.expires_ms > 25_000 && g1.expires_ms <= 30_000, `${g1.expires_ms}`);
      const down = measureLink(target, "download", g1);
      const up = measureLink(target, "upload", await requestGrant("127.0.0.1", tunnelPort));
      for (const r of [down, up]) {
        assert.ok(r.bytes > 0 && r.ms > 0 && r.mbps > 0, JSON.stringify(r));
        assert.ok(r.ms < 5000, `took ${r.ms} ms`);
      }
      assert.ok(progress.includes("download") && progress.includes("upload"), progress.join());

      // The grant is spent: the same token again is refused, for either phase.
      assert.throws(
        () => measureLink(target, "download", g1),
        /the link responder refused: no valid grant: ask for a grant through the tunnel first/,
      );
      assert.throws(
        () => measureLink(target, "upload", g1),
        /link responder refused: no valid grant/,
      );
    });
  },
});

Deno.test({
  name: "the link responder refuses no token, a made-up token, garbage and silence, at once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withResponders(async ({ linkPort }) => {
      const refused = /^\{"error":"no valid grant: ask for a grant through the tunnel first"\}\n$/;
      const t0 = performance.now();
      assert.match(await rawLinkRequest(linkPort, '{"test":"download","seconds":1}'), refused);
      assert.match(
        await rawLinkRequest(
          linkPort,
          `{"test":"download","seconds":1,"token":"${"0".repeat(32)}"}`,
        ),
        refused,
      );
      assert.match(await rawLinkRequest(linkPort, "GET / HTTP/1.0"), refused);
      assert.ok(performance.now() - t0 < 1000, "closed at once, not after a test");
      // Nothing sent: closed when the request timeout passes (3 s), not held open.
      const t1 = performance.now();
      assert.equal(await rawLinkRequest(linkPort, null), "");
      const held = performance.now() - t1;
      assert.ok(held > 2500 && held < 5000, `held ${held} ms`);
    });
  },
});

Deno.test("a VPS without a link responder refuses grants, saying so", async () => {
  const port = freePort();
  const responder = new SpeedtestResponder(
    [parseCidr("127.0.0.1/8")],
    [parseCidr("127.0.0.0/8")],
    port,
    logger("test"),
  );
  try {
    await assert.rejects(
      () => requestGrant("127.0.0.1", port),
      /the VPS refused a grant: no link responder runs on this VPS/,
    );
  } finally {
    responder.stop();
  }
});
