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
  /** Address of `to` the sender connects to (with `pull`: of `from`, which `to` connects to). */
  address: string;
  /** The receiver opens the connection (a download from behind a NAT). @default false */
  pull?: boolean;
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
  const sending = [String(o.bytes), String(o.mbps ?? 0), "7"];
  const script = (mode: string, extra: string[] = []) => [
    Deno.execPath(),
    "run",
    "-A",
    SCRIPT,
    mode,
    o.address,
    port,
    ...extra,
  ];
  // The listening end starts first; the other connects to it and runs to the end.
  const listening = o.pull
    ? lab.spawn(o.from, script("serve", sending))
    : lab.spawn(o.to, script("receive"));
  try {
    await waitFor(() => {
      if (listening.exited) throw new Error(`listening end exited: ${listening.stderr()}`);
      return listening.stderr().includes("listening");
    }, { timeoutMs: 15_000, what: "transfer listening" });
    const start = performance.now();
    const connecting = o.pull
      ? await lab.exec(o.to, script("fetch"), { timeoutMs })
      : await lab.exec(o.from, script("send", sending), { timeoutMs });
    if (connecting.code !== 0) {
      throw new Error(`connecting end failed (${connecting.code}): ${connecting.stderr}`);
    }
    await Promise.race([
      listening.status,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("listening end did not finish")), 10_000)
      ),
    ]);
    const [sent, received] = o.pull
      ? [listening.stdout(), connecting.stdout]
      : [connecting.stdout, listening.stdout()];
    return {
      sent: parseLine(sent, "sender"),
      received: parseLine(received, "receiver"),
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    await listening.stop();
  }
}
