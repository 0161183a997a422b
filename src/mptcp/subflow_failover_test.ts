import assert from "node:assert/strict";
import {
  pathOfSubflow,
  slotCandidates,
  slotsForPath,
  type SplitSubflows,
  type SubflowSocket,
  subflowsToClose,
} from "./subflow_failover.ts";
import { SPLIT_PORT } from "./subflow_ports.ts";

const VPS = new Uint8Array([10, 77, 0, 1]);
const ROUTER = new Uint8Array([10, 77, 0, 2]);
const OTHER_ROUTER = new Uint8Array([10, 77, 0, 3]);
const ESTABLISHED = 1;
const FIN_WAIT1 = 4;

/** Three paths 0, 1, 2. */
const threePaths = (p: number) => p < 3;

function routerSide(): SplitSubflows {
  return { side: "router", splitAddress: VPS, exists: threePaths, paths: 8 };
}

/** The router's subflow j of connection `token`. */
function routerSubflow(j: number, token: number, state = ESTABLISHED): SubflowSocket {
  return {
    family: 4,
    state,
    local: ROUTER,
    localPort: 40000 + j,
    remote: VPS,
    remotePort: SPLIT_PORT + j,
    mptcpToken: token,
  };
}

Deno.test("subflow failover: a socket's path is its subflow's, seen from each end", () => {
  assert.equal(pathOfSubflow(routerSubflow(0, 1), routerSide()), 0);
  assert.equal(pathOfSubflow(routerSubflow(2, 1), routerSide()), 2);
  // The spare of the first path (j = n) rides it too.
  assert.equal(pathOfSubflow(routerSubflow(3, 1), routerSide()), 0);
  const elsewhere = { ...routerSubflow(1, 1), remote: new Uint8Array([192, 0, 2, 1]) };
  assert.equal(pathOfSubflow(elsewhere, routerSide()), -1, "not the VPS's split address");
  const plain = { ...routerSubflow(1, 1), remotePort: 443 };
  assert.equal(pathOfSubflow(plain, routerSide()), -1, "not a split port");
  // The VPS: its own port names the subflow, the remote address the router.
  const vps: SplitSubflows = {
    side: "vps",
    splitAddress: VPS,
    exists: threePaths,
    paths: 8,
    isPeer: (_family, a) => a[3] === 2,
  };
  const mine: SubflowSocket = {
    family: 4,
    state: ESTABLISHED,
    local: VPS,
    localPort: SPLIT_PORT + 1,
    remote: ROUTER,
    remotePort: 51000,
  };
  assert.equal(pathOfSubflow(mine, vps), 1);
  assert.equal(pathOfSubflow({ ...mine, remote: OTHER_ROUTER }, vps), -1, "another router's");
});

Deno.test("subflow failover: a dead path's subflows close where their connection has another live one", () => {
  const sockets = [
    // Connection 1: a subflow on every path.
    routerSubflow(0, 1),
    routerSubflow(1, 1),
    routerSubflow(2, 1),
    // Connection 2: left with the dead path's subflow and one on another dead path.
    routerSubflow(0, 2),
    routerSubflow(2, 2),
    // Connection 3: its other subflow is closing.
    routerSubflow(0, 3),
    routerSubflow(1, 3, FIN_WAIT1),
    // No token reported: its connection is unknown.
    { ...routerSubflow(0, 4), mptcpToken: undefined },
    routerSubflow(1, 4),
  ];
  const isDown = (p: number) => p === 0 || p === 2;
  const closed = subflowsToClose(sockets, 0, isDown, routerSide());
  assert.deepEqual(closed, [sockets[0]]);
  // With path 2 alive, connection 2 keeps going on it.
  const closed2 = subflowsToClose(sockets, 0, (p) => p === 0, routerSide());
  assert.deepEqual(closed2, [sockets[0], sockets[3]]);
});

Deno.test("subflow failover: each slot's ports ride one path of a router with n paths", () => {
  assert.deepEqual(slotCandidates(1, 3), [1, 4, 7]);
  assert.deepEqual(slotCandidates(2, 3), [2, 5]);
  assert.deepEqual(slotCandidates(0, 3), [3, 6], "the first path's spares");
  assert.deepEqual(slotCandidates(0, 8), [], "eight paths: no room for a spare");
  assert.deepEqual(slotCandidates(3, 5), [3]);
  assert.deepEqual(slotCandidates(1, 0), []);
});

Deno.test("subflow failover: a path back is announced in the slots riding it, the first in the spare", () => {
  const slots = [undefined, 1, 2];
  assert.deepEqual(slotsForPath(1, threePaths, 8, slots, 3), [1]);
  assert.deepEqual(slotsForPath(2, threePaths, 8, [undefined, 1, 5], 3), [2], "moved before");
  assert.deepEqual(slotsForPath(0, threePaths, 8, slots, 3), [0]);
  assert.deepEqual(slotsForPath(0, threePaths, 8, [6, 1, 2], 3), [0]);
  // A router with two paths under a VPS announcing for three: ports 1 and 2 ride its paths
  // 1 and 0, so its first path comes back on slot 2.
  const twoPaths = (p: number) => p < 2;
  assert.deepEqual(slotsForPath(0, twoPaths, 8, slots, 3), [2]);
  assert.deepEqual(slotsForPath(1, twoPaths, 8, slots, 3), [1]);
  // Eight paths: the first has no spare.
  const eight = (p: number) => p < 8;
  assert.deepEqual(slotsForPath(0, eight, 8, [], 8), []);
});
