import assert from "node:assert/strict";
import { SPLIT_PORT, SPLIT_SUBFLOWS, splitPathOf, splitSubflowOf } from "./subflow_ports.ts";
import { tcpPacket, udpPacket } from "../offload/test_packets.ts";

const empty = new Uint8Array(0);

Deno.test("split subflow: the VPS's port names the subflow, on the side asked, IPv4 and IPv6", () => {
  for (const version of [4, 6] as const) {
    for (let j = 0; j < SPLIT_SUBFLOWS; j++) {
      const toVps = tcpPacket({ version, sport: 40000, dport: SPLIT_PORT + j, payload: empty });
      assert.equal(splitSubflowOf(toVps, 0, toVps.length, "destination"), j);
      assert.equal(splitSubflowOf(toVps, 0, toVps.length, "source"), -1);
      const fromVps = tcpPacket({ version, sport: SPLIT_PORT + j, dport: 40000, payload: empty });
      assert.equal(splitSubflowOf(fromVps, 0, fromVps.length, "source"), j);
      assert.equal(splitSubflowOf(fromVps, 0, fromVps.length, "destination"), -1);
    }
  }
});

Deno.test("split subflow: ports just outside the range, UDP, fragments and short packets are not subflows", () => {
  for (const port of [SPLIT_PORT - 1, SPLIT_PORT + SPLIT_SUBFLOWS, 443]) {
    const p = tcpPacket({ version: 4, dport: port, payload: empty });
    assert.equal(splitSubflowOf(p, 0, p.length, "destination"), -1, `port ${port}`);
  }
  const udp = udpPacket(4, new Uint8Array(8));
  new DataView(udp.buffer).setUint16(22, SPLIT_PORT); // UDP destination port
  assert.equal(splitSubflowOf(udp, 0, udp.length, "destination"), -1);

  const frag = tcpPacket({ version: 4, dport: SPLIT_PORT, payload: empty });
  frag[6] = 0x20; // more fragments: the first fragment does carry ports
  assert.equal(splitSubflowOf(frag, 0, frag.length, "destination"), 0);
  frag[6] = 0x00;
  frag[7] = 0x10; // a later fragment: bytes at the port offset are payload
  assert.equal(splitSubflowOf(frag, 0, frag.length, "destination"), -1);

  const p = tcpPacket({ version: 6, dport: SPLIT_PORT + 2, payload: empty });
  assert.equal(splitSubflowOf(p, 0, 43, "destination"), -1);
  assert.equal(splitSubflowOf(p, 0, 44, "destination"), 2);
});

Deno.test("split subflow: read at an offset inside a larger buffer", () => {
  const p = tcpPacket({ version: 4, dport: SPLIT_PORT + 3, payload: new Uint8Array(10) });
  const buf = new Uint8Array(p.length + 32).fill(0xff);
  buf.set(p, 16);
  assert.equal(splitSubflowOf(buf, 16, p.length, "destination"), 3);
});

Deno.test("split path: subflow j rides the j-th existing path, wrapping around", () => {
  const present = [false, true, false, true, true, false, false, false];
  const exists = (p: number) => present[p];
  assert.deepEqual([0, 1, 2, 3, 4].map((j) => splitPathOf(j, exists, 8)), [1, 3, 4, 1, 3]);
  assert.equal(splitPathOf(0, () => false, 8), -1);
  assert.equal(splitPathOf(5, (p) => p === 6, 8), 6);
});
