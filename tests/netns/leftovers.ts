/** After bond stops: no TUN device, policy rule, route table entry or nftables table of ours. */
import assert from "node:assert/strict";
import type { Lab } from "./harness/netns.ts";
import { ROUTE_TABLE, RULE_PRIORITY } from "../../src/system/routing_plan.ts";

export async function assertNothingLeft(lab: Lab, host: string, ifname: string): Promise<void> {
  const links = JSON.parse(await lab.ip(host, ["-j", "link", "show"])) as { ifname: string }[];
  assert.ok(!links.some((l) => l.ifname === ifname), `${ifname} still exists on ${host}`);
  for (const family of ["-4", "-6"]) {
    const rules = JSON.parse(await lab.ip(host, ["-j", family, "rule", "show"])) as {
      priority: number;
    }[];
    const ours = rules.filter((r) =>
      r.priority === RULE_PRIORITY || r.priority === RULE_PRIORITY + 1
    );
    assert.deepEqual(ours, [], `policy rules left on ${host} (${family})`);
    const routes = await lab.exec(host, [
      "ip",
      family,
      "route",
      "show",
      "table",
      String(ROUTE_TABLE),
    ]);
    // A table the kernel never had, or whose last route went, reads as "does not exist".
    const gone = routes.code === 0
      ? routes.stdout.trim() === ""
      : /does not exist/.test(routes.stderr);
    assert.ok(gone, `routes left in table ${ROUTE_TABLE} on ${host} (${family}): ${routes.stdout}`);
  }
  const tables = await lab.run(host, ["nft", "list", "tables"]);
  assert.ok(!/\bbond\b/.test(tables), `nftables table of ours left on ${host}: ${tables}`);
}
