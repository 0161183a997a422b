import assert from "node:assert/strict";
import { LineReader, LineTooLongError } from "./line_reader.ts";

/** A byte source that hands out the given pieces one read at a time. */
function source(...pieces: string[]) {
  const chunks = pieces.map((p) => new TextEncoder().encode(p));
  return {
    read(p: Uint8Array): Promise<number | null> {
      const c = chunks.shift();
      if (!c) return Promise.resolve(null);
      p.set(c);
      return Promise.resolve(c.length);
    },
  };
}

Deno.test("lines split across reads and several lines in one read come out whole", async () => {
  const r = new LineReader(source('{"a":', '1}\n{"b":2}\n{"c"', ":3}\n"), 100);
  assert.equal(await r.next(), '{"a":1}');
  assert.equal(await r.next(), '{"b":2}');
  assert.equal(await r.next(), '{"c":3}');
  assert.equal(await r.next(), null);
});

Deno.test("a line longer than the limit is refused instead of buffered", async () => {
  const r = new LineReader(source("x".repeat(60), "y".repeat(60)), 100);
  await assert.rejects(r.next(), LineTooLongError);
});
