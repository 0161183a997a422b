/**
 * The TCP split's subflow window routes, run as root inside a fresh network namespace (the
 * file re-runs itself there): rules per subflow port, tables that follow `sync` (a small change
 * of window kept, a large one replaced, a destination gone removed), a crashed run's rules
 * replaced, and nothing left after the teardown.
 */
import assert from "node:assert/strict";
import { INNER, testInsideNamespace } from "./harness/inner_tests.ts";
import { TunDevice } from "../../ffi/tun.ts";
import { NetlinkSocket } from "../../src/system/netlink/socket.ts";
import { addAddress } from "../../src/system/netlink/address.ts";
import { setLinkUp } from "../../src/system/netlink/link.ts";
import { addRule, listRules } from "../../src/system/netlink/rule.ts";
import { listRoutes } from "../../src/system/netlink/route.ts";
import {
  SPLIT_RULE_PRIORITY,
  SPLIT_WINDOW_TABLE,
  SplitWindowRoutes,
} from "../../src/roles/split_window_routes.ts";
import { SPLIT_PORT, SPLIT_SUBFLOWS } from "../../src/mptcp/subflow_ports.ts";
import { MAX_SUBFLOW_WINDOW } from "../../src/mptcp/subflow_windows.ts";
import { Teardown } from "../../src/roles/teardown.ts";
import { logger } from "../../src/log.ts";

const log = logger("test");

/** `dst → initcwnd` in subflow j's table, both families. */
function table(nl: NetlinkSocket, j: number): Record<string, number | undefined> {
  const routes = [4, 6].flatMap((family) =>
    listRoutes(nl, { family: family as 4 | 6, table: SPLIT_WINDOW_TABLE + j })
  );
  for (const r of routes) assert.equal(r.initrwnd, MAX_SUBFLOW_WINDOW, `${r.dst} initrwnd`);
  return Object.fromEntries(routes.map((r) => [r.dst, r.initcwnd]));
}

function ourRules(nl: NetlinkSocket) {
  return [4, 6].flatMap((family) => listRules(nl, family as 4 | 6)).filter((r) =>
    r.priority >= SPLIT_RULE_PRIORITY && r.priority < SPLIT_RULE_PRIORITY + SPLIT_SUBFLOWS
  );
}

if (!INNER) {
  testInsideNamespace(
    "split window routes: rules per subflow port, tables following sync, nothing left (root)",
    "swr",
    import.meta.url,
  );
} else {
  Deno.test("split window routes follow sync and leave nothing behind", async () => {
    const nl = NetlinkSocket.open();
    const tun = TunDevice.open("btsw0");
    try {
      setLinkUp(nl, "btsw0", true);
      addAddress(nl, "btsw0", "10.66.0.1/24");
      addAddress(nl, "btsw0", "fd66::1/64");
      // What a crashed run left: one of our rules (it must go, not make the start fail).
      addRule(nl, {
        family: 4,
        priority: SPLIT_RULE_PRIORITY + 1,
        table: SPLIT_WINDOW_TABLE + 1,
        ipProto: 6,
        sport: SPLIT_PORT + 1,
      });

      const teardown = new Teardown(log);
      const routes = new SplitWindowRoutes(nl, "btsw0", "sport", teardown, log);
      const rules = ourRules(nl);
      assert.equal(rules.length, 2 * SPLIT_SUBFLOWS, JSON.stringify(rules));
      for (const r of rules) {
        const j = r.priority - SPLIT_RULE_PRIORITY;
        assert.deepEqual([r.table, r.ipProto, r.sport, r.dport], [
          SPLIT_WINDOW_TABLE + j,
          6,
          [SPLIT_PORT + j, SPLIT_PORT + j],
          undefined,
        ]);
      }

      const windows = [10, 64, 10, 64, 10, 64, 10, 64];
      routes.sync([
        { dst: "10.66.0.2/32", windows },
        { dst: "192.168.50.0/24", windows },
        { dst: "fd66::2/128", windows },
      ]);
      assert.deepEqual(table(nl, 0), {
        "10.66.0.2/32": 10,
        "192.168.50.0/24": 10,
        "fd66::2/128": 10,
      });
      assert.deepEqual(table(nl, 1), {
        "10.66.0.2/32": 64,
        "192.168.50.0/24": 64,
        "fd66::2/128": 64,
      });

      // 64 → 60 is within an eighth: kept. 10 → 20 is not: replaced. The LAN prefix is gone.
      routes.sync([
        { dst: "10.66.0.2/32", windows: [20, 60, 20, 60, 20, 60, 20, 60] },
        { dst: "fd66::2/128", windows: [20, 60, 20, 60, 20, 60, 20, 60] },
      ]);
      assert.deepEqual(table(nl, 0), { "10.66.0.2/32": 20, "fd66::2/128": 20 });
      assert.deepEqual(table(nl, 1), { "10.66.0.2/32": 64, "fd66::2/128": 64 });
      // What status shows: what the tables hold.
      const installed = [20, 64, 20, 64, 20, 64, 20, 64];
      assert.deepEqual(routes.windows(), [
        { destination: "10.66.0.2/32", initcwnd: installed },
        { destination: "fd66::2/128", initcwnd: installed },
      ]);

      assert.equal(await teardown.run(), 0, "every undo succeeded");
      assert.deepEqual(ourRules(nl), []);
      for (let j = 0; j < SPLIT_SUBFLOWS; j++) assert.deepEqual(table(nl, j), {});
    } finally {
      tun.close();
      nl.close();
    }
  });
}
