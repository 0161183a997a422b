/**
 * Installs a RoutingPlan through rtnetlink and registers its undo. Our rules are recognised by
 * their priority and table, so a restart after a crash first removes any left behind and then
 * converges to the same state.
 */
import { addRoute, deleteRoute } from "../system/netlink/route.ts";
import { addRule, deleteRule, listRules, type RuleSpec } from "../system/netlink/rule.ts";
import type { NetlinkSocket } from "../system/netlink/socket.ts";
import { formatCidr } from "../net/cidr.ts";
import {
  describeRoute,
  describeRule,
  type PlannedRule,
  ROUTE_TABLE,
  type RoutingPlan,
  RULE_PRIORITY,
} from "../system/routing_plan.ts";
import type { Teardown } from "./teardown.ts";
import type { Logger } from "../log.ts";

function ruleSpec(r: PlannedRule): RuleSpec {
  return {
    family: r.family,
    priority: r.priority,
    table: r.table,
    fwmark: r.notFwmark,
    invert: r.notFwmark !== undefined,
    suppressPrefixLength: r.suppressPrefixLength,
  };
}

/** Removes policy rules a previous run of ours left (same priorities), e.g. after a crash. */
export function removeStaleRules(nl: NetlinkSocket, log: Logger): void {
  for (const family of [4, 6] as const) {
    for (const rule of listRules(nl, family)) {
      const ours = (rule.priority === RULE_PRIORITY || rule.priority === RULE_PRIORITY + 1) &&
        (rule.table === ROUTE_TABLE || rule.table === 254);
      if (!ours) continue;
      deleteRule(nl, {
        family,
        priority: rule.priority,
        table: rule.table,
        fwmark: rule.fwmark,
        fwmask: rule.fwmask,
        invert: rule.invert,
        suppressPrefixLength: rule.suppressPrefixLength,
      }, { missingOk: true });
      log.info("removed a policy rule left by an earlier run", {
        family: `ipv${family}`,
        priority: rule.priority,
      });
    }
  }
}

export function applyRoutingPlan(
  nl: NetlinkSocket,
  plan: RoutingPlan,
  teardown: Teardown,
  log: Logger,
): void {
  for (const route of plan.routes) {
    const spec = { dst: formatCidr(route.dst), oif: route.device, table: route.table };
    addRoute(nl, spec);
    log.debug("route added", { route: describeRoute(route) });
    // A route through the TUN vanishes with the device; deleting first keeps the order clean.
    teardown.add(`route ${describeRoute(route)}`, () => deleteRoute(nl, spec, { missingOk: true }));
  }
  for (const rule of plan.rules) {
    const spec = ruleSpec(rule);
    addRule(nl, spec);
    log.debug("rule added", { rule: describeRule(rule) });
    teardown.add(`rule ${describeRule(rule)}`, () => deleteRule(nl, spec, { missingOk: true }));
  }
}
