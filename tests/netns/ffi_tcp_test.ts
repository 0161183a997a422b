/**
 * TcpClient where it needs a network of its own (root): a SYN nobody answers ends at the
 * connect deadline with ETIMEDOUT, and SO_MARK really reaches policy routing (a rule that makes
 * marked packets unreachable turns the same connect into ENETUNREACH at once). Runs inside a
 * fresh namespace (see harness/inner_tests.ts).
 */
import assert from "node:assert/strict";
import { INNER, testInsideNamespace } from "./harness/inner_tests.ts";
import { TcpClient } from "../../ffi/tcp.ts";
import { isErrno } from "../../ffi/errno.ts";

function ipOk(...args: string[]): void {
  const r = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!r.success) {
    throw new Error(`ip ${args.join(" ")} failed: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
}

const MARK = 0x626f;

if (!INNER) {
  testInsideNamespace(
    "TcpClient timeouts and marks inside a fresh namespace (root)",
    "tcp",
    import.meta.url,
  );
} else {
  // A veth whose other end drops every frame (a neighbour entry with a MAC nobody has): a
  // peer that never answers, without the ARP failure (EHOSTUNREACH) an unknown host gives.
  ipOk("link", "set", "lo", "up");
  ipOk("link", "add", "dm0", "type", "veth", "peer", "name", "dm1");
  ipOk("addr", "add", "10.9.0.1/24", "dev", "dm0");
  ipOk("link", "set", "dm0", "up");
  ipOk("link", "set", "dm1", "up");
  ipOk("neigh", "add", "10.9.0.2", "lladdr", "02:00:00:00:00:02", "dev", "dm0", "nud", "permanent");
  ipOk("rule", "add", "fwmark", String(MARK), "unreachable", "priority", "100");

  Deno.test("an unanswered connect ends with ETIMEDOUT at its deadline, in slices", () => {
    const t0 = performance.now();
    assert.throws(
      () => TcpClient.connect({ host: "10.9.0.2", port: 9, timeoutMs: 700, sliceMs: 100 }),
      (e: unknown) =>
        isErrno(e, "ETIMEDOUT") &&
        /^connect\(10\.9\.0\.2:9, 700 ms\): .*no answer in time/.test(e.message),
    );
    const took = performance.now() - t0;
    assert.ok(took >= 650 && took < 1200, `took ${took} ms`);
  });

  Deno.test("the mark reaches policy routing: marked is ENETUNREACH, bound to dm0 is routed", () => {
    assert.throws(
      () => TcpClient.connect({ host: "10.9.0.2", port: 9, mark: MARK, timeoutMs: 2000 }),
      (e: unknown) => isErrno(e, "ENETUNREACH") && /no route to the destination/.test(e.message),
    );
    // Bound to the dummy device (and its source) without the mark: routed, never answered.
    assert.throws(
      () =>
        TcpClient.connect({
          host: "10.9.0.2",
          port: 9,
          device: "dm0",
          source: "10.9.0.1",
          timeoutMs: 300,
        }),
      (e: unknown) => isErrno(e, "ETIMEDOUT"),
    );
  });

  Deno.test("a source address not on this host is EADDRNOTAVAIL with a hint", () => {
    assert.throws(
      () => TcpClient.connect({ host: "10.9.0.2", port: 9, source: "10.9.9.9" }),
      (e: unknown) =>
        isErrno(e, "EADDRNOTAVAIL") && /not assigned to any interface/.test(e.message),
    );
  });
}
