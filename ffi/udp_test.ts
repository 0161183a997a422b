import assert from "node:assert/strict";
import { Endpoint } from "../src/protocol/endpoint.ts";
import { MSG_DONTWAIT } from "./constants.ts";
import { EAGAIN } from "./errno.ts";
import { UdpSocket } from "./udp.ts";

const text = new TextEncoder();

Deno.test("udp sendTo/recvFrom carries one datagram over 127.0.0.1 and reports its source", () => {
  const a = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  const b = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  try {
    const to = a.localEndpoint();
    assert.equal(to.toString(), `127.0.0.1:${a.localPort}`);
    assert.notEqual(to.port, 0, "port 0 became an ephemeral port");
    const msg = text.encode("hello bond");
    assert.equal(b.sendTo(msg, msg.length, to), msg.length);
    const buf = new Uint8Array(64);
    const from = new Endpoint();
    const n = a.recvFrom(buf, from);
    assert.equal(n, msg.length);
    assert.deepEqual(buf.subarray(0, n), msg);
    assert.equal(from.toString(), `127.0.0.1:${b.localPort}`);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("dual-stack v6 socket receives IPv4 and reports the source as an IPv4 endpoint", () => {
  const v6 = UdpSocket.open({ family: 6, dualStack: true });
  const v4 = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  try {
    const to = Endpoint.parse(`127.0.0.1:${v6.localPort}`);
    assert.equal(v4.sendTo(new Uint8Array([1, 2, 3]), 3, to), 3);
    const from = new Endpoint();
    assert.equal(v6.recvFrom(new Uint8Array(8), from), 3);
    assert.equal(from.family, 4);
    assert.equal(from.toString(), `127.0.0.1:${v4.localPort}`);
    // And back: a v4 destination through the v6 socket (encoded v4-mapped).
    assert.equal(v6.sendTo(new Uint8Array([9]), 1, from), 1);
    assert.equal(v4.recvFrom(new Uint8Array(8), new Endpoint()), 1);
  } finally {
    v6.close();
    v4.close();
  }
});

Deno.test("v6-only socket refuses to send to an IPv4 endpoint with -errno, no throw", () => {
  const v6 = UdpSocket.open({ family: 6, address: "::1" });
  try {
    const r = v6.sendTo(new Uint8Array(1), 1, Endpoint.parse("127.0.0.1:9"));
    assert.ok(r < 0, `expected -errno, got ${r}`);
  } finally {
    v6.close();
  }
});

Deno.test("non-blocking recvFrom on an empty socket returns -EAGAIN", () => {
  const s = UdpSocket.open({ family: 4, address: "127.0.0.1", nonBlocking: true });
  const b = UdpSocket.open({ family: 4, address: "127.0.0.1" });
  try {
    assert.equal(s.recvFrom(new Uint8Array(4), new Endpoint()), -EAGAIN);
    assert.equal(b.recvFrom(new Uint8Array(4), new Endpoint(), MSG_DONTWAIT), -EAGAIN);
  } finally {
    s.close();
    b.close();
  }
});

Deno.test("socket buffer sizes are applied (the kernel reports twice the request)", () => {
  const s = UdpSocket.open({ family: 4, receiveBuffer: 1 << 20, sendBuffer: 1 << 19 });
  try {
    // As root the FORCE variants bypass rmem_max; otherwise the sysctl caps the request.
    if (Deno.uid() === 0) {
      assert.equal(s.receiveBufferSize(), 2 << 20);
      assert.equal(s.sendBufferSize(), 2 << 19);
    } else {
      assert.ok(s.receiveBufferSize() > 0);
    }
  } finally {
    s.close();
  }
});

Deno.test("binding to a device that does not exist names the device and ENODEV", () => {
  assert.throws(
    () => UdpSocket.open({ family: 4, device: "nosuchdev0" }),
    /SO_BINDTODEVICE, "nosuchdev0"\): .*\((ENODEV|EPERM)\)/,
  );
});

Deno.test("invalid udp options throw naming the value", () => {
  assert.throws(() => UdpSocket.open({ family: 4, port: 70000 }), /0-65535: 70000/);
  assert.throws(() => UdpSocket.open({ family: 4, address: "::1" }), /IPv4 socket.*::1/);
  assert.throws(() => UdpSocket.open({ family: 4, receiveBuffer: -1 }), /SO_RCVBUF.*-1/);
});
