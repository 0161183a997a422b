import assert from "node:assert/strict";
import { runCryptoBench } from "./bench.ts";
import { NobleAead } from "./noble_aead.ts";
import type { AeadCandidate } from "./select.ts";

Deno.test("crypto bench prints an aligned row per available backend and lists missing ones", async () => {
  const lines: string[] = [];
  const candidates: AeadCandidate[] = [
    {
      name: "openssl",
      load: () => Promise.reject(new Error("libcrypto.so.3 not found")),
    },
    {
      name: "noble",
      load: () => Promise.resolve({ aead: new NobleAead(), source: "built in", close() {} }),
    },
  ];
  const results = await runCryptoBench({
    durationMs: 20,
    packetBytes: 1400,
    write: (line) => lines.push(line),
    candidates,
  });
  assert.equal(results.length, 1);
  assert.equal(results[0].name, "noble");
  assert.ok(results[0].sealPacketsPerSecond > 0 && results[0].openPacketsPerSecond > 0);
  const header = lines.find((l) => l.startsWith("backend"));
  const row = lines.find((l) => l.startsWith("noble"));
  assert.ok(header && row, lines.join("\n"));
  // Right-aligned columns: the row ends where the header ends, and noble is 1.0x of itself.
  assert.equal(row.length, header.length);
  assert.match(row, /1\.0x\s+1\.0x$/);
  assert.ok(lines.includes("unavailable: openssl: libcrypto.so.3 not found"), lines.join("\n"));
});

Deno.test("crypto bench stops a backend that rejects its own packets", async () => {
  const candidates: AeadCandidate[] = [{
    name: "noble",
    load: () =>
      Promise.resolve({
        aead: { name: "noble", seal() {}, sealInPlace() {}, open: () => false },
        source: "fake",
        close() {},
      }),
  }];
  await assert.rejects(
    runCryptoBench({ durationMs: 5, write: () => {}, candidates }),
    /rejected \d+ authentic packets/,
  );
});
