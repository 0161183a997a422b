/** Runs lab/tcp_transfer.ts on two lab hosts and reports both ends' byte counts and hashes. */
import type { Lab } from "../tests/netns/harness/netns.ts";
import { waitFor } from "../tests/netns/harness/wait_for.ts";

const SCRIPT = new URL("./tcp_transfer.ts", import.meta.url).pathname;

export interface TransferResult {
  sent: { bytes: number; sha256: string };
  received: { bytes: number; sha256: string };
  seconds: number;
}

export interface TransferOptions {
  from: string;
  to: string;
  /** Address of `to` the sender connects to. */
  address: string;
  port?: number;
  bytes: number;
  /** Pace the sender (Mbit/s); 0 = as fast as TCP goes. */
  mbps?: number;
  timeoutMs?: number;
}

function parseLine(text: string, who: string): { bytes: number; sha256: string } {
  const m = /^(\d+) ([0-9a-f]{64})$/m.exec(text);
  if (!m) throw new Error(`transfer ${who}: unexpected output: ${text}`);
  return { bytes: Number(m[1]), sha256: m[2] };
}

export async function tcpTransfer(lab: Lab, o: TransferOptions): Promise<TransferResult> {
  const port = String(o.port ?? 5201 + Math.floor(Math.random() * 1000));
  const timeoutMs = o.timeoutMs ?? 60_000;
  const receiver = lab.spawn(o.to, [
    Deno.execPath(),
    "run",
    "-A",
    SCRIPT,
    "receive",
    o.address,
    port,
  ]);
  try {
    await waitFor(() => {
      if (receiver.exited) throw new Error(`receiver exited: ${receiver.stderr()}`);
      return receiver.stderr().includes("listening");
    }, { timeoutMs: 15_000, what: "transfer receiver listening" });
    const start = performance.now();
    const sender = await lab.exec(o.from, [
      Deno.execPath(),
      "run",
      "-A",
      SCRIPT,
      "send",
      o.address,
      port,
      String(o.bytes),
      String(o.mbps ?? 0),
      "7",
    ], { timeoutMs });
    if (sender.code !== 0) throw new Error(`sender failed (${sender.code}): ${sender.stderr}`);
    await Promise.race([
      receiver.status,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("receiver did not finish")), 10_000)
      ),
    ]);
    return {
      sent: parseLine(sender.stdout, "sender"),
      received: parseLine(receiver.stdout(), "receiver"),
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    await receiver.stop();
  }
}
