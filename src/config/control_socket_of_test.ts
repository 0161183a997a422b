import assert from "node:assert/strict";
import { controlSocketOf } from "./control_socket_of.ts";

Deno.test("the control socket comes from control.socket, else the interface name", () => {
  assert.equal(controlSocketOf("control:\n  socket: /tmp/x.sock\n"), "/tmp/x.sock");
  assert.equal(controlSocketOf("interface:\n  name: wan7\n"), "/run/bond/wan7.sock");
  assert.equal(controlSocketOf("role: router\n"), "/run/bond/bnd0.sock");
});

Deno.test("unrelated mistakes in the file do not hide the control socket", () => {
  const text = "role: client\nprivate_key_file: /nonexistent\ninterface:\n  name: bx1\n  mtu: 5\n";
  assert.equal(controlSocketOf(text), "/run/bond/bx1.sock");
});
