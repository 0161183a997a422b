/**
 * rtnetlink client tests, run as root inside a fresh network namespace: every change made
 * through the library is checked against `ip -j` (an independent reader), then undone and
 * checked gone.
 *
 * The outer test creates the namespace and re-runs this same file inside it with
 * BOND_NETNS_INNER=1, because netlink (like all FFI) acts on the calling process's namespace.
 * The namespace is removed in `finally`, whatever happens.
 */
import assert from "node:assert/strict";
import { INNER, testInsideNamespace } from "./harness/inner_tests.ts";
import { TunDevice } from "../../ffi/tun.ts";
import { isErrno } from "../../ffi/errno.ts";
import { NetlinkSocket } from "../../src/system/netlink/socket.ts";
import {
  deleteLink,
  getLink,
  linkIndex,
  listLinks,
  setLinkMtu,
  setLinkUp,
} from "../../src/system/netlink/link.ts";
import { addAddress, deleteAddress, listAddresses } from "../../src/system/netlink/address.ts";
import {
  addRoute,
  deleteRoute,
  getRoute,
  listRoutes,
  replaceRoute,
  type RouteSpec,
} from "../../src/system/netlink/route.ts";
import { addRule, deleteRule, listRules, type RuleSpec } from "../../src/system/netlink/rule.ts";

const TABLE = 51820;
const MARK = 0xca6c;

function ip(...args: string[]): { ok: boolean; out: string; err: string } {
  const r = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** Run `ip -j ARGS` and parse its JSON; throws with ip's stderr when it fails. */
// deno-lint-ignore no-explicit-any
function ipJson(...args: string[]): any[] {
  const r = ip("-j", ...args);
  if (!r.ok) throw new Error(`ip -j ${args.join(" ")} failed: ${r.err.trim()}`);
  return r.out.trim() === "" ? [] : JSON.parse(r.out);
}

function expectErrno(fn: () => void, ...codes: string[]): void {
  assert.throws(fn, (err) => {
    assert.ok(isErrno(err, ...codes), `expected ${codes.join("/")}, got ${err}`);
    return true;
  });
}

if (!INNER) {
  testInsideNamespace(
    "netlink tests pass inside a fresh network namespace (root)",
    "nl",
    import.meta.url,
  );
} else {
  Deno.test("link: MTU, up and down through netlink show in ip -j link", () => {
    const nl = NetlinkSocket.open();
    const tun = TunDevice.open("btnl0");
    try {
      const index = linkIndex(nl, "btnl0");
      const [before] = ipJson("link", "show", "btnl0");
      assert.equal(index, before.ifindex);

      setLinkMtu(nl, "btnl0", 1380);
      setLinkUp(nl, "btnl0", true);
      const [after] = ipJson("link", "show", "btnl0");
      assert.equal(after.mtu, 1380);
      assert.ok(after.flags.includes("UP"), JSON.stringify(after.flags));

      const info = getLink(nl, "btnl0");
      assert.deepEqual(
        { index: info.index, name: info.name, mtu: info.mtu, up: info.up },
        { index, name: "btnl0", mtu: 1380, up: true },
      );
      assert.equal(info.operstate, after.operstate);
      assert.equal(getLink(nl, index).name, "btnl0", "lookup by index");
      assert.ok(listLinks(nl).some((l) => l.name === "lo" && l.index === 1));

      setLinkUp(nl, index, false);
      const [down] = ipJson("link", "show", "btnl0");
      assert.ok(!down.flags.includes("UP"));
      assert.equal(getLink(nl, "btnl0").up, false);

      expectErrno(() => getLink(nl, "btnope0"), "ENODEV");
      assert.throws(() => setLinkMtu(nl, "btnl0", 20), /mtu must be 68-65535: 20/);
    } finally {
      tun.close();
      nl.close();
    }
  });

  Deno.test("link: deleteLink removes a veth and tolerates it gone with missingOk", () => {
    const nl = NetlinkSocket.open();
    try {
      const made = ip("link", "add", "btva0", "type", "veth", "peer", "name", "btvb0");
      assert.ok(made.ok, made.err);
      deleteLink(nl, "btva0");
      assert.equal(ip("link", "show", "btva0").ok, false);
      assert.equal(ip("link", "show", "btvb0").ok, false, "the peer goes with it");
      deleteLink(nl, "btva0", { missingOk: true });
      expectErrno(() => deleteLink(nl, "btva0"), "ENODEV");
    } finally {
      ip("link", "del", "btva0");
      nl.close();
    }
  });

  Deno.test("address: v4 and v6 added, listed, usable at once, deleted", () => {
    const nl = NetlinkSocket.open();
    const tun = TunDevice.open("btnl1");
    try {
      setLinkUp(nl, "btnl1", true);
      addAddress(nl, "btnl1", "10.66.0.2/24");
      addAddress(nl, "btnl1", "fd66::2/64");
      const [link] = ipJson("addr", "show", "dev", "btnl1");
      // deno-lint-ignore no-explicit-any
      const shown = link.addr_info.map((a: any) => `${a.local}/${a.prefixlen}`);
      assert.ok(shown.includes("10.66.0.2/24"), shown.join(" "));
      assert.ok(shown.includes("fd66::2/64"), shown.join(" "));
      // deno-lint-ignore no-explicit-any
      const v6 = link.addr_info.find((a: any) => a.local === "fd66::2");
      assert.equal(v6.nodad, true);
      assert.notEqual(v6.tentative, true, "no DAD wait: usable at once");

      const mine = listAddresses(nl, { link: "btnl1" }).filter((a) => a.scope === 0);
      assert.deepEqual(mine.map((a) => a.cidr).sort(), ["10.66.0.2/24", "fd66::2/64"]);
      assert.deepEqual(
        listAddresses(nl, { link: "btnl1", family: 4 }).map((a) => a.cidr),
        ["10.66.0.2/24"],
      );

      expectErrno(() => addAddress(nl, "btnl1", "10.66.0.2/24"), "EEXIST");
      addAddress(nl, "btnl1", "10.66.0.2/24", { replace: true }); // idempotent re-run

      deleteAddress(nl, "btnl1", "10.66.0.2/24");
      deleteAddress(nl, "btnl1", "fd66::2/64");
      const [gone] = ipJson("addr", "show", "dev", "btnl1");
      // deno-lint-ignore no-explicit-any
      const left = gone.addr_info.map((a: any) => a.local);
      assert.ok(!left.includes("10.66.0.2") && !left.includes("fd66::2"), left.join(" "));

      deleteAddress(nl, "btnl1", "fd66::2/64", { missingOk: true });
      expectErrno(() => deleteAddress(nl, "btnl1", "10.66.0.2/24"), "EADDRNOTAVAIL");
      expectErrno(() => addAddress(nl, "btnope1", "10.0.0.1/8"), "ENODEV");
      deleteAddress(nl, "btnope1", "10.0.0.1/8", { missingOk: true });
    } finally {
      tun.close();
      nl.close();
    }
  });

  Deno.test("route and rule: table 51820 with fwmark and suppress_prefixlength steer lookups", () => {
    const nl = NetlinkSocket.open();
    const tun = TunDevice.open("btnl2");
    const routes: RouteSpec[] = [
      { dst: "0.0.0.0/0", oif: "btnl2", table: TABLE },
      { dst: "::/0", oif: "btnl2", table: TABLE, metric: 1024 },
      { dst: "192.0.2.0/24", type: "blackhole", table: TABLE, metric: 7 },
      { dst: "198.51.100.0/24", type: "throw", table: TABLE },
      { dst: "203.0.113.0/24", gateway: "10.66.0.1", oif: "btnl2", table: TABLE },
    ];
    const rules: RuleSpec[] = [
      { family: 4, priority: 99, table: 254, suppressPrefixLength: 0 },
      { family: 4, priority: 100, fwmark: MARK, invert: true, table: TABLE },
      { family: 6, priority: 100, fwmark: 0x10, fwmask: 0xff, table: TABLE, from: "fd66::/64" },
    ];
    try {
      setLinkUp(nl, "btnl2", true);
      addAddress(nl, "btnl2", "10.66.0.2/24");
      addAddress(nl, "btnl2", "fd66::2/64");
      for (const r of routes) addRoute(nl, r);

      const v4 = ipJson("route", "show", "table", String(TABLE));
      const byDst = new Map(v4.map((r) => [r.dst, r]));
      assert.equal(byDst.get("default")?.dev, "btnl2");
      assert.equal(byDst.get("192.0.2.0/24")?.type, "blackhole");
      assert.equal(byDst.get("192.0.2.0/24")?.metric, 7);
      assert.equal(byDst.get("198.51.100.0/24")?.type, "throw");
      assert.equal(byDst.get("203.0.113.0/24")?.gateway, "10.66.0.1");
      const v6 = ipJson("-6", "route", "show", "table", String(TABLE));
      assert.deepEqual(v6.map((r) => [r.dst, r.dev]), [["default", "btnl2"]]);

      const listed = listRoutes(nl, { family: 4, table: TABLE });
      assert.deepEqual(
        listed.map((r) => `${r.type} ${r.dst} ${r.gateway ?? "-"}`).sort(),
        [
          "blackhole 192.0.2.0/24 -",
          "throw 198.51.100.0/24 -",
          "unicast 0.0.0.0/0 -",
          "unicast 203.0.113.0/24 10.66.0.1",
        ],
      );
      assert.ok(listed.every((r) => r.table === TABLE));
      assert.equal(listRoutes(nl, { family: 6, table: TABLE }).length, 1);
      expectErrno(() => addRoute(nl, routes[2]), "EEXIST");

      // Route metrics (mtu, initial windows) as the kernel stores them, read back both ways.
      const windowed = {
        dst: "100.64.0.0/24",
        oif: "btnl2",
        table: TABLE,
        prefsrc: "10.66.0.2",
        mtu: 1300,
        initcwnd: 64,
        initrwnd: 32,
      };
      addRoute(nl, windowed);
      const [shown] = ipJson("route", "show", "table", String(TABLE), "100.64.0.0/24");
      assert.deepEqual(shown.metrics, [{ mtu: 1300, initcwnd: 64, initrwnd: 32 }]);
      assert.equal(shown.prefsrc, "10.66.0.2");
      const read = listRoutes(nl, { family: 4, table: TABLE }).find((r) =>
        r.dst === "100.64.0.0/24"
      );
      assert.deepEqual([read?.mtu, read?.initcwnd, read?.initrwnd], [1300, 64, 32]);
      deleteRoute(nl, windowed);
      assert.deepEqual(ipJson("route", "show", "table", String(TABLE), "100.64.0.0/24"), []);

      replaceRoute(nl, { dst: "203.0.113.0/24", gateway: "10.66.0.3", table: TABLE });
      const replaced = ipJson("route", "show", "table", String(TABLE), "203.0.113.0/24");
      assert.deepEqual(replaced.map((r) => r.gateway), ["10.66.0.3"]);

      for (const r of rules) addRule(nl, r);
      const rules4 = ipJson("rule", "show");
      const p99 = rules4.find((r) => r.priority === 99);
      assert.equal(p99?.table, "main");
      assert.equal(p99?.suppress_prefixlen, 0);
      const p100 = rules4.find((r) => r.priority === 100);
      assert.equal(p100?.fwmark, `0x${MARK.toString(16)}`);
      assert.ok(p100 && "not" in p100, "inverted rule");
      assert.equal(p100?.table, String(TABLE));
      const r6 = ipJson("-6", "rule", "show").find((r) => r.priority === 100);
      assert.deepEqual([r6?.fwmark, r6?.fwmask, r6?.src, r6?.srclen], [
        "0x10",
        "0xff",
        "fd66::",
        64,
      ]);

      const mine = listRules(nl, 4).filter((r) => r.priority === 99 || r.priority === 100);
      assert.deepEqual(mine, [
        {
          family: 4,
          priority: 99,
          action: "table",
          table: 254,
          invert: false,
          suppressPrefixLength: 0,
          protocol: 0,
        },
        {
          family: 4,
          priority: 100,
          action: "table",
          table: TABLE,
          invert: true,
          fwmark: MARK,
          fwmask: 0xffffffff,
          protocol: 0,
        },
      ]);
      expectErrno(() => addRule(nl, rules[1]), "EEXIST");

      // Unmarked traffic: main has no default (and suppress hides one anyway), so the
      // inverted fwmark rule sends it to table 51820.
      const tunnel = getRoute(nl, "203.0.113.5");
      assert.equal(tunnel.table, TABLE);
      assert.equal(tunnel.gateway, "10.66.0.3");
      assert.equal(tunnel.oif, linkIndex(nl, "btnl2"));
      assert.equal(tunnel.prefsrc, "10.66.0.2");
      // Marked (underlay) traffic skips table 51820 and finds no route in main.
      expectErrno(() => getRoute(nl, "203.0.113.5", { mark: MARK }), "ENETUNREACH");
      // A directly connected destination resolves in main through the suppress rule.
      const local = getRoute(nl, "10.66.0.9", { mark: MARK });
      assert.equal(local.table, 254);
      assert.equal(local.gateway, undefined);

      // Rules by IP protocol and port (ahead of the others): TCP to port 65011 finds a route of
      // its own.
      const byPort: RuleSpec[] = [
        { family: 4, priority: 98, ipProto: 6, dport: 65011, table: TABLE + 1 },
        { family: 6, priority: 98, ipProto: 6, sport: 65012, table: TABLE + 1 },
      ];
      addRoute(nl, { dst: "203.0.113.0/24", oif: "btnl2", table: TABLE + 1, initcwnd: 40 });
      for (const r of byPort) addRule(nl, r);
      const p98 = ipJson("rule", "show").find((r) => r.priority === 98);
      assert.deepEqual([p98?.ipproto, p98?.dport, p98?.table], [
        "tcp",
        65011,
        String(TABLE + 1),
      ]);
      const p98v6 = ipJson("-6", "rule", "show").find((r) => r.priority === 98);
      assert.deepEqual([p98v6?.ipproto, p98v6?.sport], ["tcp", 65012]);
      assert.deepEqual(
        [...listRules(nl, 4), ...listRules(nl, 6)].filter((r) => r.priority === 98).map((r) => [
          r.ipProto,
          r.sport,
          r.dport,
        ]),
        [[6, undefined, [65011, 65011]], [6, [65012, 65012], undefined]],
      );
      const viaPort = ip("route", "get", "203.0.113.5", "ipproto", "tcp", "dport", "65011");
      assert.match(
        viaPort.out,
        /dev btnl2 table 51821[\s\S]*initcwnd 40/,
        viaPort.out + viaPort.err,
      );
      const otherPort = ip("route", "get", "203.0.113.5", "ipproto", "tcp", "dport", "65012");
      assert.doesNotMatch(otherPort.out, /initcwnd/, otherPort.out);
      assert.throws(
        () => addRule(nl, { family: 4, priority: 97, dport: 80, table: TABLE }),
        /a rule matching ports needs ipProto/,
      );
      assert.throws(
        () => addRule(nl, { family: 4, priority: 97, ipProto: 6, sport: 0, table: TABLE }),
        /rule sport must be 1-65535: 0/,
      );
      for (const r of byPort) deleteRule(nl, r);
      deleteRoute(nl, { dst: "203.0.113.0/24", table: TABLE + 1 });
      assert.ok(!ipJson("rule", "show").some((r) => r.priority === 98));

      for (const r of rules) deleteRule(nl, r);
      for (const r of routes) {
        deleteRoute(nl, r.dst === "203.0.113.0/24" ? { dst: r.dst, table: TABLE } : r);
      }
      assert.deepEqual(ipJson("route", "show", "table", String(TABLE)), []);
      assert.deepEqual(ipJson("-6", "route", "show", "table", String(TABLE)), []);
      assert.ok(!ipJson("rule", "show").some((r) => r.priority === 99 || r.priority === 100));
      assert.ok(!ipJson("-6", "rule", "show").some((r) => r.priority === 100));

      // Teardown run twice: tolerated with missingOk, distinct errno without.
      for (const r of rules) deleteRule(nl, r, { missingOk: true });
      for (const r of routes) deleteRoute(nl, r, { missingOk: true });
      expectErrno(() => deleteRule(nl, rules[0]), "ENOENT");
      expectErrno(() => deleteRoute(nl, routes[2]), "ESRCH", "ENOENT");
      expectErrno(() => deleteRoute(nl, routes[1]), "ESRCH", "ENOENT");
    } finally {
      tun.close();
      nl.close();
    }
  });
}
