import assert from "node:assert/strict";
import {
  closeFd,
  connectStream,
  localEndpoint,
  mptcpAvailable,
  originalDestination,
  StreamListener,
} from "./stream_socket.ts";
import { isErrno } from "./errno.ts";

/** A port nobody listens on: bound for a moment, then freed. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

for (const protocol of ["tcp", "mptcp"] as const) {
  Deno.test({
    name:
      `stream socket (${protocol}): listen, connect and accept without blocking, no NAT destination`,
    ignore: protocol === "mptcp" && !mptcpAvailable(),
    async fn() {
      const port = freePort();
      const listener = StreamListener.open({ address: "127.0.0.1", port, protocol });
      try {
        const accepting = listener.accept();
        const client = await connectStream({ address: "127.0.0.1", port, protocol });
        const accepted = await accepting;
        assert.ok(accepted !== null);
        assert.equal(accepted.remote.address(), "127.0.0.1");
        assert.equal(localEndpoint(accepted.fd).toString(), `127.0.0.1:${port}`);
        // Nobody redirected this connection: there is no other destination to tell.
        const original = originalDestination(accepted.fd, 4);
        assert.ok(original === null || original.toString() === `127.0.0.1:${port}`);
        closeFd(accepted.fd);
        closeFd(client);
      } finally {
        listener.close();
      }
    },
  });
}

Deno.test("stream socket: a refused connect throws ECONNREFUSED, a closed listener ends accept", async () => {
  const port = freePort();
  await assert.rejects(
    connectStream({ address: "127.0.0.1", port, protocol: "tcp" }),
    (err) => isErrno(err, "ECONNREFUSED"),
  );
  const listener = StreamListener.open({ address: "127.0.0.1", port, protocol: "tcp" });
  const waiting = listener.accept();
  // Let accept reach its wait on the thread pool, then close under it.
  await new Promise((r) => setTimeout(r, 50));
  listener.close();
  assert.equal(await waiting, null);
  // The port is free again: the fd was closed once the wait returned.
  const again = StreamListener.open({ address: "127.0.0.1", port, protocol: "tcp" });
  again.close();
});
