/** What the TCP split's subflows look like from the lab's hosts. */
import type { Lab } from "./harness/netns.ts";
import { SPLIT_PORT } from "../../src/mptcp/subflow_ports.ts";

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
