/** What the TCP split's subflows look like from the lab's hosts. */
import type { Lab } from "./harness/netns.ts";
import { SPLIT_PORT } from "../../src/mptcp/subflow_ports.ts";
import type { StatusDocument } from "../../src/control/status_document.ts";
import { statusUntil } from "./bonded_lab.ts";

/** The router's status once its TCP split is active (or the last one seen, after `timeoutMs`). */
export function splitActive(
  lab: Lab,
  router: string,
  configPath: string,
  timeoutMs = 10_000,
): Promise<StatusDocument> {
  return statusUntil(lab, router, configPath, (d) => d.tcp_split.state === "active", timeoutMs);
}

/** The VPS ports of the router's split subflows open now (one per subflow). */
export async function subflowPorts(lab: Lab, router: string): Promise<number[]> {
  const out = await lab.run(router, [
    "ss",
    "-tnH",
    "state",
    "established",
    `( dport >= :${SPLIT_PORT} and dport <= :${SPLIT_PORT + 7} )`,
  ]);
  return out.split("\n").filter((l) => l.trim()).map((l) => {
    const peer = l.trim().split(/\s+/).at(-1)!;
    return Number(peer.slice(peer.lastIndexOf(":") + 1));
  }).sort();
}
