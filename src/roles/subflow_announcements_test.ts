/**
 * The VPS's subflow port announcements against a model of the kernel's path manager: an
 * endpoint is refused with EADDRINUSE while sockets hold its port (established subflows of live
 * connections, or closing ones that can be cleared), with EEXIST when it is there already.
 */
import assert from "node:assert/strict";
import { EADDRINUSE, EEXIST, EPERM, SyscallError } from "../../ffi/errno.ts";
import { logger } from "../log.ts";
import { ENDPOINT_SIGNAL, type MptcpEndpoint } from "../mptcp/path_manager.ts";
import { SubflowAnnouncements } from "./subflow_announcements.ts";

const ADDRESS = "10.77.0.1";

class KernelModel {
  endpoints_: MptcpEndpoint[] = [];
  /** Ports held by established subflows (withdrawing the endpoint leaves them). */
  held = new Set<number>();
  /** Ports held by closing sockets, and how many. */
  closing = new Map<number, number>();
  adds = 0;
  deletes = 0;
  /** The next add fails with this errno. */
  failNext: number | undefined;
  #nextId = 1;

  endpoints(): MptcpEndpoint[] {
    return this.endpoints_.map((e) => ({ ...e }));
  }

  addEndpoint(e: { address: string; port?: number; flags: number }): void {
    this.adds++;
    const port = e.port ?? 0;
    if (this.failNext !== undefined) {
      const errno = this.failNext;
      this.failNext = undefined;
      throw new SyscallError(errno, "MPTCP_PM_CMD_ADD_ADDR");
    }
    if (this.endpoints_.some((x) => x.address === e.address && x.port === port)) {
      throw new SyscallError(EEXIST, "MPTCP_PM_CMD_ADD_ADDR");
    }
    if (this.held.has(port) || this.closing.has(port)) {
      throw new SyscallError(EADDRINUSE, "MPTCP_PM_CMD_ADD_ADDR");
    }
    this.endpoints_.push({
      id: this.#nextId++,
      address: e.address,
      port,
      flags: e.flags,
      ifIndex: 0,
    });
  }

  deleteEndpoint(id: number): void {
    this.deletes++;
    const at = this.endpoints_.findIndex((e) => e.id === id);
    if (at < 0) throw new SyscallError(22, "MPTCP_PM_CMD_DEL_ADDR");
    this.endpoints_.splice(at, 1);
  }

  /** Our address's announced ports, sorted. */
  ports(address = ADDRESS): number[] {
    return this.endpoints_.filter((e) => e.address === address).map((e) => e.port).sort((a, b) =>
      a - b
    );
  }

  clear = (address: string, port: number): number => {
    assert.equal(address, ADDRESS);
    const n = this.closing.get(port) ?? 0;
    this.closing.delete(port);
    return n;
  };
}

function setup() {
  const kernel = new KernelModel();
  const announcements = new SubflowAnnouncements(kernel, ADDRESS, logger("test"), kernel.clear);
  return { kernel, announcements };
}

Deno.test("subflow announcements: one port per path beyond the first, once; withdrawn at 0, others' left", () => {
  const { kernel, announcements } = setup();
  // Another address's endpoint, and one of ours below the subflow ports: not ours to touch.
  kernel.addEndpoint({ address: "10.77.0.9", port: 65011, flags: ENDPOINT_SIGNAL });
  kernel.addEndpoint({ address: ADDRESS, port: 0, flags: ENDPOINT_SIGNAL });
  announcements.sync(3);
  assert.deepEqual(kernel.ports(), [0, 65011, 65012]);
  assert.ok(kernel.endpoints_.every((e) => e.flags === ENDPOINT_SIGNAL));
  assert.deepEqual([...announcements.slots], [undefined, 1, 2], "no spare until wanted");
  assert.equal(announcements.paths, 3);
  const adds = kernel.adds;
  announcements.sync(3);
  assert.equal(kernel.adds, adds, "nothing done when nothing changed");
  // More paths than subflows: capped.
  announcements.sync(12);
  assert.equal(announcements.paths, 8);
  assert.deepEqual(kernel.ports(), [0, 65011, 65012, 65013, 65014, 65015, 65016, 65017]);
  announcements.sync(0);
  assert.deepEqual(kernel.ports(), [0]);
  assert.deepEqual(kernel.ports("10.77.0.9"), [65011]);
});

Deno.test("subflow announcements: an earlier run's ports are kept where they fit a slot, the others withdrawn", () => {
  const { kernel, announcements } = setup();
  // With 3 paths: slot 1 may be 65011/65014/65017, slot 2 65012/65015, the spare 65013/65016.
  for (const port of [65013, 65015]) {
    kernel.addEndpoint({ address: ADDRESS, port, flags: ENDPOINT_SIGNAL });
  }
  announcements.sync(3);
  assert.deepEqual(kernel.ports(), [65011, 65015]);
  assert.deepEqual([...announcements.slots], [undefined, 1, 5]);
});

Deno.test("subflow announcements: another path count keeps the ports still riding their path", () => {
  const { kernel, announcements } = setup();
  announcements.sync(3);
  const [adds, deletes] = [kernel.adds, kernel.deletes];
  // Two paths: slot 1 rides the odd ports; 65012 rode path 2 of three, path 0 of two.
  announcements.sync(2);
  assert.deepEqual(kernel.ports(), [65011]);
  // 65011 was left alone, not withdrawn and added again (each addition is announced anew).
  assert.deepEqual([kernel.adds - adds, kernel.deletes - deletes], [0, 1]);
  assert.deepEqual([...announcements.slots], [undefined, 1]);
  announcements.sync(4);
  assert.deepEqual(kernel.ports(), [65011, 65012, 65013]);
});

Deno.test("subflow announcements: a returning path's slot moves past ports live subflows hold, the old one withdrawn", () => {
  const { kernel, announcements } = setup();
  announcements.sync(3);
  // Connections that kept their subflow on 65011 hold it: it cannot be announced again.
  kernel.held.add(65011);
  assert.deepEqual(announcements.reannounce([1]), [65014]);
  assert.deepEqual(kernel.ports(), [65012, 65014]);
  kernel.held.add(65014);
  assert.deepEqual(announcements.reannounce([1]), [65017]);
  assert.deepEqual(kernel.ports(), [65012, 65017]);
  // Round again: 65011 and 65014 still held, so no other port is free: the slot keeps its own.
  kernel.held.add(65017);
  assert.deepEqual(announcements.reannounce([1]), [65017]);
  assert.deepEqual(kernel.ports(), [65012, 65017]);
  // Once 65011's subflows are gone, the slot moves there.
  kernel.held.delete(65011);
  assert.deepEqual(announcements.reannounce([1]), [65011]);
  assert.deepEqual(kernel.ports(), [65011, 65012]);
  // The first path's spare: announced when wanted.
  assert.deepEqual(announcements.reannounce([0]), [65013]);
  assert.deepEqual([...announcements.slots], [3, 1, 2]);
  // A path count change withdraws the spare (it belongs to the first path of that count).
  announcements.sync(2);
  assert.deepEqual(kernel.ports(), [65011]);
});

Deno.test("subflow announcements: eight paths leave no spare port", () => {
  const { kernel, announcements } = setup();
  announcements.sync(8);
  assert.throws(
    () => announcements.reannounce([0]),
    /no port left for subflow slot 0 with 8 paths/,
  );
  assert.equal(kernel.ports().length, 7);
});

Deno.test("subflow announcements: sockets closing on a port are cleared, established ones are not", () => {
  const { kernel, announcements } = setup();
  kernel.closing.set(65011, 2);
  announcements.sync(2);
  assert.deepEqual(kernel.ports(), [65011], "cleared and announced");
  assert.equal(kernel.closing.size, 0);
  announcements.sync(0);
  // Held by live subflows: nothing to clear, the next candidate instead.
  kernel.held.add(65011);
  announcements.sync(2);
  assert.deepEqual(kernel.ports(), [65013]);
});

Deno.test("subflow announcements: what failed or was withdrawn by someone else is put back by the next sync", () => {
  const { kernel, announcements } = setup();
  kernel.failNext = EPERM;
  assert.throws(
    () => announcements.sync(3),
    (err) => err instanceof SyscallError && err.code === "EPERM",
  );
  assert.deepEqual(kernel.ports(), []);
  announcements.sync(3);
  assert.deepEqual(kernel.ports(), [65011, 65012]);
  // Withdrawn by another tool (`ip mptcp endpoint flush`): back at the next sync; where live
  // subflows hold the port, on the next one of its slot.
  kernel.held.add(65011);
  for (const e of kernel.endpoints()) kernel.deleteEndpoint(e.id);
  announcements.sync(3);
  assert.deepEqual(kernel.ports(), [65012, 65014]);
  // A move that failed leaves the old port announced.
  kernel.failNext = EPERM;
  assert.throws(() => announcements.reannounce([2]));
  assert.deepEqual(kernel.ports(), [65012, 65014]);
  assert.deepEqual([...announcements.slots], [undefined, 4, 2]);
});
