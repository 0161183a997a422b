import assert from "node:assert/strict";
import { parseMessages } from "./attributes.ts";
import { diagRequest, parseDiagMessage, TCP_STATE } from "./sock_diag.ts";

Deno.test("sock_diag: a dump request is inet_diag_req_v2 for TCP with the states asked", () => {
  const msg = diagRequest("dump", 6, 0b1010).finish(7, 0x301);
  const [m] = parseMessages(msg);
  assert.equal(m.type, 20); // SOCK_DIAG_BY_FAMILY
  assert.equal(m.seq, 7);
  assert.equal(m.body.length, 56);
  const v = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  assert.equal(v.getUint8(0), 10); // AF_INET6
  assert.equal(v.getUint8(1), 6); // IPPROTO_TCP
  assert.equal(v.getUint32(4, true), 0b1010);
  assert.ok(m.body.subarray(8).every((b) => b === 0), "no socket named");
});

/** An inet_diag_msg as the kernel sends it: 127.0.0.1:65011 -> 127.0.0.2:40000, TIME_WAIT. */
function timeWaitMessage(): Uint8Array {
  const body = new Uint8Array(72 + 8); // attributes may follow the fixed part
  const v = new DataView(body.buffer);
  v.setUint8(0, 2); // AF_INET
  v.setUint8(1, TCP_STATE.TIME_WAIT);
  v.setUint16(4, 65011); // ports big-endian
  v.setUint16(6, 40000);
  body.set([127, 0, 0, 1], 8);
  body.set([127, 0, 0, 2], 24);
  v.setUint32(40, 3, true); // interface
  body.set([1, 2, 3, 4, 5, 6, 7, 8], 44); // cookie
  return body;
}

Deno.test("sock_diag: a dumped socket is read back, and destroy names it by its exact id", () => {
  const s = parseDiagMessage(timeWaitMessage())!;
  assert.equal(s.family, 4);
  assert.equal(s.state, TCP_STATE.TIME_WAIT);
  assert.equal(s.localPort, 65011);
  assert.equal(s.remotePort, 40000);
  assert.deepEqual([...s.local], [127, 0, 0, 1]);
  assert.deepEqual([...s.remote], [127, 0, 0, 2]);
  const [m] = parseMessages(diagRequest("destroy", s.family, 0xfff, s.id).finish(1, 0));
  assert.equal(m.type, 21); // SOCK_DESTROY
  assert.equal(m.body[0], 2);
  assert.equal(m.body[1], 6);
  // The socket id (ports, addresses, interface and the kernel's cookie) as dumped.
  assert.deepEqual([...m.body.subarray(8, 56)], [...timeWaitMessage().subarray(4, 52)]);
  assert.equal(parseDiagMessage(new Uint8Array(71)), null, "too short to be one");
  assert.throws(() => diagRequest("destroy", 4, 0, new Uint8Array(40)), RangeError);
});

/** An rtattr: length, type, payload, padded to 4 bytes. */
function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + payload.length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.length, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
}

Deno.test("sock_diag: a dump asks for tcp_info, which brings an MPTCP subflow's token", () => {
  const [m] = parseMessages(diagRequest("dump", 4, 0xfff, undefined, 2).finish(1, 0));
  assert.equal(m.body[2], 2, "idiag_ext: INET_DIAG_INFO");
  // INET_DIAG_ULP_INFO { INET_ULP_INFO_NAME "mptcp", INET_ULP_INFO_MPTCP { TOKEN_REM, TOKEN_LOC } }
  const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
  const mptcp = concat(attr(1, u32(0x11111111)), attr(2, u32(0xae5ec483)));
  const ulp = concat(attr(1, new TextEncoder().encode("mptcp\0")), attr(0x8000 | 3, mptcp));
  const info = attr(2, new Uint8Array(232)); // tcp_info comes first
  const body = concat(timeWaitMessage().subarray(0, 72), info, attr(0x8000 | 19, ulp));
  assert.equal(parseDiagMessage(body)!.mptcpToken, 0xae5ec483);
  assert.equal(parseDiagMessage(timeWaitMessage())!.mptcpToken, undefined, "plain TCP");
});
