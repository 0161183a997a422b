/** Traffic checks shared by the netns tests: pings, byte-exact transfers, who srv sees. */
import assert from "node:assert/strict";
import type { Lab } from "./harness/netns.ts";
import { waitFor } from "./harness/wait_for.ts";
import { tcpTransfer } from "../../lab/transfer.ts";
import { formatIPv6, parseIPv6 } from "../../src/net/ip_address.ts";

export async function ping(lab: Lab, host: string, address: string, count = 3): Promise<void> {
  const family = address.includes(":") ? ["-6"] : ["-4"];
  await lab.run(host, ["ping", ...family, "-c", String(count), "-i", "0.2", "-W", "2", address]);
}

/** Pings until one answer comes back (a tunnel coming up, or back after a restart). */
export async function pingUntilUp(lab: Lab, host: string, address: string, timeoutMs: number) {
  const family = address.includes(":") ? "-6" : "-4";
  await waitFor(async () => {
    const r = await lab.exec(host, ["ping", family, "-c", "1", "-W", "1", address]);
    return r.code === 0;
  }, { timeoutMs, intervalMs: 200, what: `ping ${address} from ${host}` });
}

export async function assertTransfer(
  lab: Lab,
  from: string,
  to: string,
  address: string,
  bytes: number,
  mbps = 0,
) {
  const r = await tcpTransfer(lab, { from, to, address, bytes, mbps });
  assert.equal(r.received.bytes, bytes, `received ${r.received.bytes} of ${bytes} bytes`);
  assert.equal(r.received.sha256, r.sent.sha256, "content differs");
  return r;
}

/** Connects from `client` to a one-shot TCP server on `host` that prints the peer's address. */
export async function peerAddressSeenBy(
  lab: Lab,
  host: string,
  address: string,
  client: string,
): Promise<string> {
  const port = String(7000 + Math.floor(Math.random() * 1000));
  const server = lab.spawn(host, [
    "socat",
    "-u",
    address.includes(":")
      ? `TCP6-LISTEN:${port},bind=[${address}],reuseaddr`
      : `TCP4-LISTEN:${port},bind=${address},reuseaddr`,
    "SYSTEM:echo $SOCAT_PEERADDR >&2",
  ]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const target = address.includes(":") ? `TCP6:[${address}]:${port}` : `TCP4:${address}:${port}`;
    await lab.run(client, ["socat", "-u", "OPEN:/dev/null", target], { timeoutMs: 10_000 });
    await waitFor(() => server.stderr().trim().length > 0, {
      timeoutMs: 5000,
      what: "peer address",
    });
    const seen = server.stderr().trim().replace(/^\[|\]$/g, "");
    // socat prints IPv6 unabbreviated: compare in canonical form.
    return seen.includes(":") ? formatIPv6(parseIPv6(seen)) : seen;
  } finally {
    await server.stop();
  }
}
