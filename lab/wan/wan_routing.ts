/**
 * Splicing an emulator into an ISP namespace by policy routing. The namespace has two veths,
 * `access` (to the customer's router) and `transit` (to the internet); the emulator owns two
 * TUN devices:
 *
 *   router ──access──▶ [iif access: table UP → default dev emu_up] ──▶ emulator (delay line)
 *          ◀──────────── main table ◀── written back into emu_up ◀──┘      ──▶ transit ──▶ inet
 *
 * and the mirror image for `transit → emu_down → access`. A packet written back into a TUN
 * arrives with that TUN as its input device, matches neither rule, and the main table routes
 * it on. Traffic to the ISP's own addresses stays undelayed (the local table comes first).
 *
 * If the emulator dies its TUN routes vanish with the devices, and each table's blackhole
 * route takes over: the WAN goes dark instead of silently carrying traffic undelayed.
 */
import type { Lab } from "../../tests/netns/harness/netns.ts";

/** Table of packets from the router (upload). */
export const UP_TABLE = 201;
/** Table of packets from the internet (download). */
export const DOWN_TABLE = 202;
/** Below the bond daemon's rules (25100+) and above main (32766). */
export const SPLICE_RULE_PRIORITY = 1000;
/** The blackhole sorts after the TUN route of the same table. */
const FALLBACK_METRIC = 4096;

export interface SpliceOptions {
  /** Interface towards the router. */
  accessIf: string;
  /** Interface towards the internet. */
  transitIf: string;
  /** The emulator's TUN for router → internet packets. */
  upTun: string;
  /** The emulator's TUN for internet → router packets. */
  downTun: string;
}

/**
 * Before the emulator starts: forwarding on, reverse-path filtering off (packets come back out
 * of a TUN with sources that route elsewhere), blackhole fallbacks and the steering rules.
 */
export async function prepareSplice(lab: Lab, host: string, o: SpliceOptions): Promise<void> {
  await lab.enableForwarding(host);
  // "default" covers the TUN devices the emulator creates later; the kernel uses the larger
  // of "all" and the device's own value.
  await lab.sysctl(host, {
    "net.ipv4.conf.all.rp_filter": 0,
    "net.ipv4.conf.default.rp_filter": 0,
    [`net.ipv4.conf.${o.accessIf}.rp_filter`]: 0,
    [`net.ipv4.conf.${o.transitIf}.rp_filter`]: 0,
  });
  for (const family of ["-4", "-6"]) {
    for (const [table, iif] of [[UP_TABLE, o.accessIf], [DOWN_TABLE, o.transitIf]] as const) {
      await lab.ip(host, [
        family,
        "route",
        "add",
        "blackhole",
        "default",
        "table",
        String(table),
        "metric",
        String(FALLBACK_METRIC),
      ]);
      await lab.ip(host, [
        family,
        "rule",
        "add",
        "iif",
        iif,
        "lookup",
        String(table),
        "priority",
        String(SPLICE_RULE_PRIORITY),
      ]);
    }
  }
}

/** Once the emulator's TUN devices exist: route each table into its TUN. */
export async function routeThroughEmulator(
  lab: Lab,
  host: string,
  o: SpliceOptions,
): Promise<void> {
  for (const family of ["-4", "-6"]) {
    for (const [table, tun] of [[UP_TABLE, o.upTun], [DOWN_TABLE, o.downTun]] as const) {
      await lab.ip(host, [
        family,
        "route",
        "add",
        "default",
        "dev",
        tun,
        "table",
        String(table),
        "metric",
        "1",
      ]);
    }
  }
}
