// These tests only read the current namespace's state (no root needed, nothing changed).
import assert from "node:assert/strict";
import { isErrno } from "../../../ffi/errno.ts";
import { NetlinkSocket } from "./socket.ts";
import { getLink, listLinks } from "./link.ts";
import { listAddresses } from "./address.ts";
import { getRoute, listRoutes } from "./route.ts";
import { listRules } from "./rule.ts";

Deno.test("netlink socket gets a port id and reads the loopback link", () => {
  const nl = NetlinkSocket.open();
  try {
    assert.ok(nl.portId !== 0);
    const lo = getLink(nl, "lo");
    assert.equal(lo.index, 1);
    assert.equal(lo.name, "lo");
    assert.ok(lo.mtu >= 1500);
    assert.ok(listLinks(nl).some((l) => l.index === 1 && l.name === "lo"));
  } finally {
    nl.close();
  }
});

Deno.test("a missing link is a SyscallError ENODEV naming the request", () => {
  const nl = NetlinkSocket.open();
  try {
    assert.throws(() => getLink(nl, "btnosuch0"), (err) => {
      assert.ok(isErrno(err, "ENODEV"));
      assert.equal(err.syscall, "RTM_GETLINK");
      assert.match(err.message, /^RTM_GETLINK\(btnosuch0\): No such device \(ENODEV\)/);
      return true;
    });
    // The socket stays usable after an error answer.
    assert.equal(getLink(nl, 1).name, "lo");
  } finally {
    nl.close();
  }
});

Deno.test("dumps return the loopback address, local routes and the default rules", () => {
  const nl = NetlinkSocket.open();
  try {
    const lo = listAddresses(nl, { link: "lo", family: 4 });
    if (lo.length > 0) assert.equal(lo[0].cidr, "127.0.0.1/8");
    const rules = listRules(nl, 4);
    assert.ok(rules.some((r) => r.priority === 0 && r.table === 255), "the local-table rule");
    assert.ok(rules.some((r) => r.priority === 32766 && r.table === 254), "the main-table rule");
    if (getLink(nl, "lo").up) {
      assert.ok(listRoutes(nl, { family: 4, table: 255 }).some((r) => r.type === "local"));
      const route = getRoute(nl, "127.0.0.1");
      assert.equal(route.type, "local");
      assert.equal(route.oif, 1);
    }
  } finally {
    nl.close();
  }
});

Deno.test("netlink options are validated", () => {
  assert.throws(() => NetlinkSocket.open({ timeoutSeconds: 0 }), /timeoutSeconds must be > 0: 0/);
});
