import assert from "node:assert/strict";
import { check, EADDRINUSE, errnoName, errnoNumber, isErrno, SyscallError } from "./errno.ts";
import { libc } from "./libc.ts";
import { UdpSocket } from "./udp.ts";

Deno.test("errno names map both ways for the codes the daemon tests", () => {
  assert.equal(errnoName(1), "EPERM");
  assert.equal(errnoName(98), "EADDRINUSE");
  assert.equal(errnoName(3), "ESRCH");
  assert.equal(errnoName(4095), "E4095");
  assert.equal(errnoNumber("EADDRNOTAVAIL"), 99);
  assert.throws(() => errnoNumber("ENOTHING"), /unknown errno name/);
});

Deno.test("SyscallError message names the call, context, libc text, code and hint", () => {
  const err = new SyscallError(1, "ioctl", 'TUNSETIFF, "bnd0"', "needs CAP_NET_ADMIN");
  assert.equal(
    err.message,
    'ioctl(TUNSETIFF, "bnd0"): Operation not permitted (EPERM) — needs CAP_NET_ADMIN',
  );
  assert.equal(err.errno, 1);
  assert.equal(err.code, "EPERM");
  assert.equal(err.syscall, "ioctl");
  assert.ok(err instanceof Error);
});

Deno.test("check reads errno of the failed call: close(-1) is EBADF", () => {
  const rc = libc().close(-1);
  assert.throws(() => check(rc, "close", "-1"), (err: unknown) => {
    assert.ok(err instanceof SyscallError);
    assert.equal(err.code, "EBADF");
    assert.match(err.message, /^close\(-1\): Bad file descriptor \(EBADF\)$/);
    return true;
  });
  assert.equal(check(5, "anything"), 5);
});

Deno.test("binding a UDP port already in use throws EADDRINUSE with the address", () => {
  const first = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  try {
    const port = first.localPort;
    assert.throws(() => UdpSocket.open({ family: 4, address: "127.0.0.1", port }), (err) => {
      assert.ok(isErrno(err, "EADDRINUSE"));
      assert.equal(err.errno, EADDRINUSE);
      assert.equal(err.syscall, "bind");
      assert.match(err.message, new RegExp(`bind\\(127\\.0\\.0\\.1:${port}\\): .*EADDRINUSE`));
      return true;
    });
  } finally {
    first.close();
  }
});
