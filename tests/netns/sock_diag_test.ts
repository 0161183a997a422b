/**
 * TCP sockets through NETLINK_SOCK_DIAG, run as root inside a fresh network namespace (the
 * file re-runs itself there, as netlink acts on the caller's namespace): a closing socket on a
 * port is found and destroyed, an established one on the same port is found and left alone;
 * `ss` is the independent reader.
 */
import assert from "node:assert/strict";
import { INNER, testInsideNamespace } from "./harness/inner_tests.ts";
import { waitFor } from "./harness/wait_for.ts";
import { NetlinkSocket } from "../../src/system/netlink/socket.ts";
import {
  destroyClosingTcpSockets,
  listTcpSockets,
  NETLINK_SOCK_DIAG,
  TCP_STATE,
} from "../../src/system/netlink/sock_diag.ts";

const PORT = 65011;

function ss(): string {
  const r = new Deno.Command("ss", { args: ["-tanH", `sport = :${PORT}`], stdout: "piped" })
    .outputSync();
  return new TextDecoder().decode(r.stdout);
}

if (!INNER) {
  testInsideNamespace(
    "sock_diag: a closing TCP socket is destroyed, an established one on its port is not",
    "sdiag",
    import.meta.url,
  );
} else {
  Deno.test("closing sockets on a port go, established ones stay", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: PORT });
    const conns: Deno.Conn[] = [];
    try {
      // One connection the server closes first: its end goes to TIME_WAIT once the client's
      // FIN follows.
      const closer = await Deno.connect({ hostname: "127.0.0.1", port: PORT });
      conns.push(closer);
      const served = await listener.accept();
      served.close();
      assert.equal(await closer.read(new Uint8Array(1)), null, "the server's FIN");
      closer.close();
      conns.pop();
      await waitFor(() => /TIME-WAIT/.test(ss()), {
        timeoutMs: 2000,
        intervalMs: 20,
        what: "TIME_WAIT",
      });
      // One that stays open.
      const open = await Deno.connect({ hostname: "127.0.0.1", port: PORT });
      conns.push(open);
      const openServed = await listener.accept();
      conns.push(openServed);

      const nl = NetlinkSocket.open({ protocol: NETLINK_SOCK_DIAG });
      const ours = listTcpSockets(nl, 4).filter((s) => s.localPort === PORT);
      nl.close();
      assert.deepEqual(
        ours.map((s) => s.state).sort(),
        [TCP_STATE.ESTABLISHED, TCP_STATE.TIME_WAIT],
        ss(),
      );
      assert.deepEqual([...ours[0].local], [127, 0, 0, 1]);

      assert.equal(destroyClosingTcpSockets(Uint8Array.of(127, 0, 0, 1), PORT), 1);
      const after = ss();
      assert.ok(!/TIME-WAIT/.test(after), after);
      assert.match(after, /ESTAB/);
      // Another address's port of the same number is not ours: nothing there to destroy.
      assert.equal(destroyClosingTcpSockets(Uint8Array.of(127, 0, 0, 2), PORT), 0);
      // The open connection still carries bytes.
      await open.write(Uint8Array.of(42));
      const got = new Uint8Array(1);
      assert.equal(await openServed.read(got), 1);
      assert.equal(got[0], 42);
    } finally {
      for (const c of conns) c.close();
      listener.close();
    }
  });
}
