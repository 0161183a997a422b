/**
 * After bond stops: no TUN device, policy rule (the routing plan's, the split's subflow windows'),
 * route table entry or nftables table of ours.
 */
import assert from "node:assert/strict";
import type { Lab } from "./harness/netns.ts";
import { ROUTE_TABLE, RULE_PRIORITY } from "../../src/system/routing_plan.ts";
import { SPLIT_RULE_PRIORITY, SPLIT_WINDOW_TABLE } from "../../src/roles/split_window_routes.ts";
import { SPLIT_SUBFLOWS } from "../../src/mptcp/subflow_ports.ts";

export async function assertNothingLeft(lab: Lab, host: string, ifname: string): Promise<void> {
  const links = JSON.parse(await lab.ip(host, ["-j", "link", "show"])) as { ifname: string }[];
  assert.ok(!links.some((l) => l.ifname === ifname), `${ifname} still exists on ${host}`);
  for (const family of ["-4", "-6"]) {
    const rules = JSON.parse(await lab.ip(host, ["-j", family, "rule", "show"])) as {
      priority: number;
    }[];
    const ours = rules.filter((r) =>
      r.priority === RULE_PRIORITY || r.priority === RULE_PRIORITY + 1 ||
      (r.priority >= SPLIT_RULE_PRIORITY && r.priority < SPLIT_RULE_PRIORITY + SPLIT_SUBFLOWS)
    );
    assert.deepEqual(ours, [], `policy rules left on ${host} (${family})`);
    const tables = [ROUTE_TABLE];
    for (let j = 0; j < SPLIT_SUBFLOWS; j++) tables.push(SPLIT_WINDOW_TABLE + j);
    for (const table of tables) {
      const routes = await lab.exec(host, ["ip", family, "route", "show", "table", String(table)]);
      // A table the kernel never had, or whose last route went, reads as "does not exist".
      const gone = routes.code === 0
        ? routes.stdout.trim() === ""
        : /does not exist/.test(routes.stderr);
      assert.ok(gone, `routes left in table ${table} on ${host} (${family}): ${routes.stdout}`);
    }
  }
  const nft = await lab.run(host, ["nft", "list", "tables"]);
  assert.ok(!/\bbond\b/.test(nft), `nftables table of ours left on ${host}: ${nft}`);
}
