import assert from "node:assert/strict";
import { parseCidr } from "../net/cidr.ts";
import {
  describeRoute,
  describeRule,
  FWMARK,
  MAIN_TABLE,
  planRouting,
  ROUTE_TABLE,
  RULE_PRIORITY,
} from "./routing_plan.ts";

const cidrs = (...xs: string[]) => xs.map(parseCidr);

Deno.test("router with default_route sends both families through the tunnel by policy rules", () => {
  const plan = planRouting({
    device: "bnd0",
    interfaceAddresses: cidrs("10.66.0.2/24", "fd66::2/64"),
    allowedIps: cidrs("0.0.0.0/0", "::/0"),
    defaultRoute: true,
  });
  assert.deepEqual(plan.routes.map(describeRoute), [
    `0.0.0.0/0 dev bnd0 table ${ROUTE_TABLE}`,
    `::/0 dev bnd0 table ${ROUTE_TABLE}`,
  ]);
  assert.deepEqual(plan.rules.map(describeRule), [
    `ipv4 prio ${RULE_PRIORITY} lookup ${MAIN_TABLE} suppress_prefixlength 0`,
    `ipv4 prio ${RULE_PRIORITY + 1} not fwmark 0x${FWMARK.toString(16)} lookup ${ROUTE_TABLE}`,
    `ipv6 prio ${RULE_PRIORITY} lookup ${MAIN_TABLE} suppress_prefixlength 0`,
    `ipv6 prio ${RULE_PRIORITY + 1} not fwmark 0x${FWMARK.toString(16)} lookup ${ROUTE_TABLE}`,
  ]);
  assert.equal(plan.socketMark, FWMARK);
});

Deno.test("default route is skipped for a family the tunnel has no address in", () => {
  const plan = planRouting({
    device: "bnd0",
    interfaceAddresses: cidrs("10.66.0.2/24"),
    allowedIps: cidrs("0.0.0.0/0", "::/0"),
    defaultRoute: true,
  });
  assert.deepEqual(plan.rules.map((r) => r.family), [4, 4]);
  assert.deepEqual(plan.routes.map(describeRoute), [`0.0.0.0/0 dev bnd0 table ${ROUTE_TABLE}`]);
});

Deno.test("without default_route a 0/0 allowed IP installs no route and no rule", () => {
  const plan = planRouting({
    device: "bnd0",
    interfaceAddresses: cidrs("10.66.0.2/24"),
    allowedIps: cidrs("0.0.0.0/0"),
    defaultRoute: false,
  });
  assert.deepEqual(plan, { routes: [], rules: [], socketMark: undefined });
});

Deno.test("specific allowed IPs become main-table routes, minus connected and duplicate ones", () => {
  const plan = planRouting({
    device: "bnd0",
    interfaceAddresses: cidrs("10.66.0.1/24", "fd66::1/64"),
    allowedIps: cidrs(
      "10.66.0.2/32",
      "10.66.0.0/24",
      "192.168.50.7/24",
      "192.168.50.0/24",
      "fd66::/64",
    ),
    defaultRoute: false,
  });
  assert.deepEqual(plan.routes.map(describeRoute), [
    "10.66.0.2/32 dev bnd0 table 254",
    "192.168.50.0/24 dev bnd0 table 254",
  ]);
});
