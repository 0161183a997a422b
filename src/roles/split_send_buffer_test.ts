import assert from "node:assert/strict";
import { logger } from "../log.ts";
import { MIN_SEND_BUFFER } from "../mptcp/subflow_send_buffer.ts";
import { SendBufferCeiling } from "./split_send_buffer.ts";

const mbps = (n: number) => n * 1e6 / 8;
const PROFILE_A = [
  { bytesPerSecond: mbps(40), minRttMs: 20 },
  { bytesPerSecond: mbps(20), minRttMs: 60 },
];

async function withFile(text: string, fn: (file: string) => void): Promise<void> {
  const file = await Deno.makeTempFile({ prefix: "tcp_wmem" });
  try {
    await Deno.writeTextFile(file, text);
    fn(file);
  } finally {
    await Deno.remove(file);
  }
}

const fieldsOf = (file: string) => Deno.readTextFileSync(file).trim().split(/\s+/);

Deno.test("send buffer ceiling file: lowered with the paths, the rest kept, put back at stop", async () => {
  await withFile("4096\t16384\t4194304\n", (file) => {
    const ceiling = new SendBufferCeiling(logger("test"), file);
    ceiling.sync([]);
    assert.equal(ceiling.lowered, null, "no path measured: untouched");
    assert.deepEqual(fieldsOf(file), ["4096", "16384", "4194304"]);
    ceiling.sync(PROFILE_A);
    assert.deepEqual(fieldsOf(file), ["4096", "16384", String(MIN_SEND_BUFFER)]);
    assert.equal(ceiling.lowered, MIN_SEND_BUFFER);
    // Someone changes the default meanwhile: kept when the paths move the ceiling again.
    Deno.writeTextFileSync(file, `4096\t32768\t${MIN_SEND_BUFFER}\n`);
    ceiling.sync([{ bytesPerSecond: mbps(100), minRttMs: 20 }]);
    assert.deepEqual(fieldsOf(file), ["4096", "32768", "2500000"]);
    ceiling.restore();
    assert.deepEqual(fieldsOf(file), ["4096", "32768", "4194304"]);
    assert.equal(ceiling.lowered, null);
  });
});

Deno.test("send buffer ceiling file: a maximum changed by someone else is left at stop", async () => {
  await withFile("4096 16384 4194304\n", (file) => {
    const ceiling = new SendBufferCeiling(logger("test"), file);
    ceiling.sync(PROFILE_A);
    Deno.writeTextFileSync(file, "4096 16384 2000000\n");
    ceiling.restore();
    assert.deepEqual(fieldsOf(file), ["4096", "16384", "2000000"]);
  });
});

Deno.test("send buffer ceiling file: nothing written when nothing was lowered", async () => {
  await withFile("4096 16384 4194304\n", (file) => {
    const ceiling = new SendBufferCeiling(logger("test"), file);
    ceiling.restore();
    ceiling.sync([{ bytesPerSecond: mbps(25), minRttMs: 240 }, ...PROFILE_A]);
    ceiling.restore();
    assert.equal(Deno.readTextFileSync(file), "4096 16384 4194304\n", "byte for byte");
  });
});

Deno.test("send buffer ceiling file: an unreadable setting is an error naming it", async () => {
  await withFile("garbage\n", (file) => {
    const ceiling = new SendBufferCeiling(logger("test"), file);
    assert.throws(() => ceiling.sync(PROFILE_A), /net\.ipv4\.tcp_wmem reads "garbage"/);
  });
});

Deno.test("send buffer ceiling file: back to what was found when no path counts any more", async () => {
  await withFile("4096 16384 4194304\n", (file) => {
    const ceiling = new SendBufferCeiling(logger("test"), file);
    ceiling.sync(PROFILE_A);
    assert.equal(ceiling.lowered, MIN_SEND_BUFFER);
    // The split no longer active: the caller passes no paths.
    ceiling.sync([]);
    assert.equal(ceiling.lowered, null);
    assert.deepEqual(fieldsOf(file), ["4096", "16384", "4194304"]);
  });
});
