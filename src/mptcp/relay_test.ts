import assert from "node:assert/strict";
import net from "node:net";
import { relay, type RelayResult } from "./relay.ts";

/**
 * client ⇄ [front | relay | back] ⇄ server on loopback: `serve` is the server's side of the
 * connection; returns the client socket and the relay's outcome.
 */
async function through(
  serve: (s: net.Socket) => void,
): Promise<{ client: net.Socket; done: Promise<RelayResult>; close: () => void }> {
  const server = net.createServer({ allowHalfOpen: true }, serve);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const serverPort = (server.address() as net.AddressInfo).port;
  let done!: Promise<RelayResult>;
  const front = net.createServer({ allowHalfOpen: true });
  const gotFront = new Promise<void>((ready) => {
    front.once("connection", (a: net.Socket) => {
      const b = net.connect({ host: "127.0.0.1", port: serverPort, allowHalfOpen: true });
      done = relay(a, b);
      ready();
    });
  });
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  const client = net.connect({
    host: "127.0.0.1",
    port: (front.address() as net.AddressInfo).port,
    allowHalfOpen: true,
  });
  await gotFront;
  return {
    client,
    done,
    close: () => {
      server.close();
      front.close();
    },
  };
}

function collect(s: net.Socket): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    s.on("data", (d: Uint8Array) => parts.push(d));
    s.on("end", () => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) out.set(p, (at += p.length) - p.length);
      resolve(out);
    });
    s.on("error", reject);
  });
}

Deno.test("relay: bytes both ways, exact, and a half-close passes through before the answer", async () => {
  const request = crypto.getRandomValues(new Uint8Array(65536)).map((b, i) => b ^ i);
  const { client, done, close } = await through((s) => {
    // Answers only once the client has finished sending (its FIN came through the relay).
    collect(s).then((got) => {
      s.end(got.slice().reverse());
    });
  });
  const answer = collect(client);
  client.end(request);
  const got = await answer;
  assert.deepEqual(got, request.slice().reverse());
  const result = await done;
  assert.equal(result.error, undefined);
  assert.equal(result.aToB, request.length);
  assert.equal(result.bToA, request.length);
  client.destroy();
  close();
});

Deno.test("relay: a reset on one side resets the other", async () => {
  const { client, done, close } = await through((s) => {
    s.once("data", () => s.resetAndDestroy());
  });
  const failed = new Promise<string>((resolve) => {
    client.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    client.on("close", () => resolve("closed"));
  });
  client.write("hello");
  assert.equal(await failed, "ECONNRESET");
  const result = await done;
  assert.ok(result.error !== undefined, "the relay saw the reset");
  close();
});
