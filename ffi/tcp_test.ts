/**
 * TcpClient against a loopback Deno.listen server. The client's calls block the thread, so the
 * server side (on the same event loop) runs only between them: each step is sync client call,
 * then awaited server call. A connect that times out and a mark that changes the route need a
 * namespace of their own: tests/netns/ffi_tcp_test.ts; bond speedtest LINK uses both end to
 * end in tests/netns/link_speedtest_test.ts.
 */
import assert from "node:assert/strict";
import { TcpClient } from "./tcp.ts";
import { isErrno } from "./errno.ts";

const isRoot = Deno.uid() === 0;

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) throw new Error(`end of stream after ${got} of ${n} bytes`);
    got += r;
  }
  return out;
}

Deno.test("TcpClient: connect, send, recv, shutdown(write) and end of stream over loopback", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  // The kernel completes the handshake from its backlog; accept runs afterwards.
  const client = TcpClient.connect({ host: "127.0.0.1", port, source: "127.0.0.1" });
  const server = await listener.accept();
  try {
    assert.equal(client.remote, `127.0.0.1:${port}`);
    // Client to server.
    const hello = new TextEncoder().encode("hello");
    assert.equal(client.send(hello), 5);
    assert.equal(new TextDecoder().decode(await readExactly(server, 5)), "hello");
    // send with a length sends only that prefix.
    assert.equal(client.send(new TextEncoder().encode("abcdef"), 3), 3);
    assert.equal(new TextDecoder().decode(await readExactly(server, 3)), "abc");

    // Server to client.
    await server.write(new TextEncoder().encode("world"));
    const buf = new Uint8Array(64);
    const n = client.recv(buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "world");

    // Nothing to read: the call gives up after one slice instead of blocking.
    const t0 = performance.now();
    assert.equal(client.recv(buf), null);
    const waited = performance.now() - t0;
    assert.ok(waited >= 200 && waited < 1000, `recv waited ${waited} ms`);

    // shutdown(SHUT_WR): the server reads end of stream, and can still answer.
    client.shutdownWrite();
    assert.equal(await server.read(buf), null);
    await server.write(new TextEncoder().encode("bye"));
    server.close();
    // Wait until the FIN has arrived (the server side is on this event loop).
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(client.recv(buf), 3);
    assert.equal(client.recv(buf), 0, "end of stream");
  } finally {
    client.close();
    client.close(); // twice is fine
    listener.close();
  }
});

Deno.test("TcpClient: a full send buffer returns 0 after a slice instead of blocking", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const client = TcpClient.connect({ host: "127.0.0.1", port, sliceMs: 100 });
  const server = await listener.accept();
  try {
    // The server never reads: both buffers fill, then send waits one slice and reports 0.
    const chunk = new Uint8Array(1 << 20);
    let zero = false;
    for (let i = 0; i < 200 && !zero; i++) zero = client.send(chunk) === 0;
    assert.ok(zero, "send returned 0 once the buffers were full");
  } finally {
    client.close();
    server.close();
    listener.close();
  }
});

Deno.test("TcpClient: a closed port is ECONNREFUSED with a hint", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  assert.throws(
    () => TcpClient.connect({ host: "127.0.0.1", port }),
    (e: unknown) =>
      isErrno(e, "ECONNREFUSED") &&
      /^connect\(127\.0\.0\.1:\d+\): .*\(ECONNREFUSED\) — nothing listens/.test(e.message),
  );
});

Deno.test("TcpClient: a source of the other family and a bad address are refused", () => {
  assert.throws(
    () => TcpClient.connect({ host: "127.0.0.1", port: 1, source: "::1" }),
    /source ::1 is IPv6 but the destination is IPv4/,
  );
  assert.throws(() => TcpClient.connect({ host: "not-an-ip", port: 1 }));
  assert.throws(() => TcpClient.connect({ host: "127.0.0.1", port: 70000 }), /0-65535/);
});

Deno.test({
  name: "TcpClient: an unknown device is ENODEV, 'no such network device' (root)",
  ignore: !isRoot,
  fn() {
    assert.throws(
      () => TcpClient.connect({ host: "127.0.0.1", port: 1, device: "nosuchdev0", mark: 0x626f }),
      (e: unknown) =>
        isErrno(e, "ENODEV") &&
        /SO_BINDTODEVICE, "nosuchdev0".*no such network device/.test(e.message),
    );
  },
});

Deno.test({
  name: "TcpClient: device lo and a mark connect over loopback (root)",
  ignore: !isRoot,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const client = TcpClient.connect({ host: "127.0.0.1", port, device: "lo", mark: 0x626f });
    const server = await listener.accept();
    try {
      assert.equal(client.send(new Uint8Array([1, 2, 3])), 3);
      assert.deepEqual([...await readExactly(server, 3)], [1, 2, 3]);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  },
});
