/**
 * The TCP split's subflow windows (src/mptcp/subflow_windows.ts) put into the kernel: a routing
 * table per subflow j, holding routes to the other end's tunnel addresses with that subflow's
 * initial congestion window, and a policy rule per subflow and family sending the split's TCP
 * there by port (the VPS's port SPLIT_PORT + j: the destination on the router, the source on
 * the VPS). Only this host's own TCP on those ports looks there; anything the tables do not
 * hold falls through to the usual lookup.
 *
 * The receive window offered (initrwnd) is always MAX_SUBFLOW_WINDOW: an offer sends nothing by
 * itself, and below the sender's initial window it would be what limits the first flight.
 *
 * Routes are replaced only when a window moves by more than an eighth (a capacity estimate
 * wanders; each replace makes every socket look its route up again).
 */
import type { Logger } from "../log.ts";
import { SPLIT_PORT, SPLIT_SUBFLOWS } from "../mptcp/subflow_ports.ts";
import { MAX_SUBFLOW_WINDOW } from "../mptcp/subflow_windows.ts";
import { deleteRoute, replaceRoute } from "../system/netlink/route.ts";
import { addRule, deleteRule, listRules, type RuleSpec } from "../system/netlink/rule.ts";
import type { NetlinkSocket } from "../system/netlink/socket.ts";
import { ROUTE_TABLE, RULE_PRIORITY } from "../system/routing_plan.ts";
import type { Teardown } from "./teardown.ts";

/** Rule of subflow j: this + j, ahead of the routing plan's rules. */
export const SPLIT_RULE_PRIORITY = RULE_PRIORITY - 10;
/** Table of subflow j: this + j. */
export const SPLIT_WINDOW_TABLE = ROUTE_TABLE + 1;

const IPPROTO_TCP = 6;

/** One destination (a CIDR through the tunnel) and the window of each subflow towards it. */
export interface WindowedDestination {
  dst: string;
  /** SPLIT_SUBFLOWS entries. */
  windows: readonly number[];
}

function ruleOf(family: 4 | 6, j: number, side: "dport" | "sport"): RuleSpec {
  return {
    family,
    priority: SPLIT_RULE_PRIORITY + j,
    table: SPLIT_WINDOW_TABLE + j,
    ipProto: IPPROTO_TCP,
    [side]: SPLIT_PORT + j,
  };
}

function isOurs(priority: number, table: number): boolean {
  const j = priority - SPLIT_RULE_PRIORITY;
  return j >= 0 && j < SPLIT_SUBFLOWS && table === SPLIT_WINDOW_TABLE + j;
}

/** Whether a window moved enough to be worth a route replace. */
function moved(installed: number, wanted: number): boolean {
  return Math.abs(wanted - installed) > installed / 8;
}

export class SplitWindowRoutes {
  readonly #nl: NetlinkSocket;
  readonly #device: string;
  readonly #log: Logger;
  /** Destination → the window installed for each subflow j (index j). */
  readonly #installed = new Map<string, number[]>();

  /**
   * Installs the rules (a crashed run's go first) and registers the undo of everything. `side`:
   * which port is the VPS's, "dport" on the router, "sport" on the VPS.
   */
  constructor(
    nl: NetlinkSocket,
    device: string,
    side: "dport" | "sport",
    teardown: Teardown,
    log: Logger,
  ) {
    this.#nl = nl;
    this.#device = device;
    this.#log = log;
    for (const family of [4, 6] as const) {
      for (const rule of listRules(nl, family)) {
        if (!isOurs(rule.priority, rule.table)) continue;
        deleteRule(nl, { family, priority: rule.priority, table: rule.table }, { missingOk: true });
        log.info("removed a subflow window rule left by an earlier run", {
          family: `ipv${family}`,
          priority: rule.priority,
        });
      }
    }
    // The routes would go with the TUN device anyway; the rules would not.
    teardown.add("TCP split subflow window routes", () => this.sync([]));
    for (const family of [4, 6] as const) {
      for (let j = 0; j < SPLIT_SUBFLOWS; j++) {
        const rule = ruleOf(family, j, side);
        addRule(nl, rule);
        teardown.add(
          `rule ipv${family} pref ${rule.priority} ${side} ${SPLIT_PORT + j}`,
          () => deleteRule(nl, rule, { missingOk: true }),
        );
      }
    }
  }

  /** Makes the tables hold exactly `destinations` (the first of equal `dst`s wins). */
  sync(destinations: readonly WindowedDestination[]): void {
    const wanted = new Map<string, readonly number[]>();
    for (const d of destinations) if (!wanted.has(d.dst)) wanted.set(d.dst, d.windows);
    let changed = false;
    for (const [dst, windows] of wanted) {
      let installed = this.#installed.get(dst);
      if (installed === undefined) this.#installed.set(dst, installed = []);
      for (let j = 0; j < SPLIT_SUBFLOWS; j++) {
        const was = installed[j];
        if (was !== undefined && !moved(was, windows[j])) continue;
        replaceRoute(this.#nl, this.#spec(j, dst, windows[j]));
        installed[j] = windows[j];
        changed = true;
      }
    }
    for (const dst of [...this.#installed.keys()]) {
      if (wanted.has(dst)) continue;
      for (let j = 0; j < SPLIT_SUBFLOWS; j++) {
        deleteRoute(this.#nl, { dst, table: SPLIT_WINDOW_TABLE + j }, { missingOk: true });
      }
      this.#installed.delete(dst);
      changed = true;
    }
    if (!changed) return;
    this.#log.debug("TCP split subflow windows (packets, subflow 0 first)", {
      windows: [...this.#installed].map(([dst, w]) => `${dst} ${w.join("/")}`).join(", "),
    });
  }

  /** The windows installed, by destination: subflow j's at index j. */
  windows(): { destination: string; initcwnd: number[] }[] {
    return [...this.#installed].map(([destination, w]) => ({ destination, initcwnd: [...w] }));
  }

  #spec(j: number, dst: string, window: number) {
    return {
      dst,
      oif: this.#device,
      table: SPLIT_WINDOW_TABLE + j,
      initcwnd: window,
      initrwnd: MAX_SUBFLOW_WINDOW,
    };
  }
}
