/**
 * A byte-exact TCP transfer for lab tests, run inside a namespace:
 *
 *   deno run -A lab/tcp_transfer.ts receive ADDRESS PORT            → prints "<bytes> <sha256>"
 *   deno run -A lab/tcp_transfer.ts send ADDRESS PORT BYTES [MBPS] [SEED] → prints "<bytes> <sha256>"
 *
 * or the other way round, the receiver connecting (a download: the connection starts at the
 * receiving end, as behind a NAT):
 *
 *   deno run -A lab/tcp_transfer.ts serve ADDRESS PORT BYTES [MBPS] [SEED]
 *   deno run -A lab/tcp_transfer.ts fetch ADDRESS PORT
 *
 * The sender streams deterministic pseudo-random bytes (xorshift from SEED), optionally paced
 * to MBPS so a transfer can be made to last across a rekey; the receiver hashes what arrives
 * until EOF. Comparing the two lines proves the tunnel delivered every byte unchanged.
 */
const [mode, address, portText, bytesText, mbpsText, seedText] = Deno.args;
const port = Number(portText);
const CHUNK = 64 * 1024;

async function sha256Hex(data: Uint8Array[]): Promise<string> {
  const total = data.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of data) {
    all.set(c, at);
    at += c.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function receiveFrom(conn: Deno.TcpConn): Promise<void> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of conn.readable) {
    chunks.push(chunk);
    total += chunk.length;
  }
  console.log(`${total} ${await sha256Hex(chunks)}`);
}

async function sendTo(conn: Deno.TcpConn): Promise<void> {
  const total = Number(bytesText);
  const mbps = Number(mbpsText ?? "0");
  let state = (Number(seedText ?? "1") >>> 0) || 1;
  const writer = conn.writable.getWriter();
  const chunks: Uint8Array[] = [];
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const chunk = new Uint8Array(Math.min(CHUNK, total - sent));
    const words = new Uint32Array(chunk.buffer, 0, chunk.length >> 2);
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      words[i] = state >>> 0;
    }
    for (let i = words.length * 4; i < chunk.length; i++) chunk[i] = i & 0xff;
    await writer.write(chunk);
    chunks.push(chunk);
    sent += chunk.length;
    if (mbps > 0) {
      const due = start + (sent * 8) / (mbps * 1000);
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  await writer.close();
  console.log(`${sent} ${await sha256Hex(chunks)}`);
}

if (mode === "receive" || mode === "serve") {
  const listener = Deno.listen({ hostname: address, port, transport: "tcp" });
  console.error("listening");
  const conn = await listener.accept();
  listener.close();
  await (mode === "receive" ? receiveFrom(conn) : sendTo(conn));
} else if (mode === "send" || mode === "fetch") {
  const conn = await Deno.connect({ hostname: address, port, transport: "tcp" });
  await (mode === "send" ? sendTo(conn) : receiveFrom(conn));
} else {
  console.error(
    "usage: tcp_transfer.ts receive|fetch ADDRESS PORT | send|serve ADDRESS PORT BYTES [MBPS] [SEED]",
  );
  Deno.exit(2);
}
