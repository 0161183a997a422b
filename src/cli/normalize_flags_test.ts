import assert from "node:assert/strict";
import { normalizeFlags } from "./normalize_flags.ts";

Deno.test("one-dash long flags become two-dash flags", () => {
  assert.deepEqual(normalizeFlags(["-config", "a.yaml", "-status"]), [
    "--config",
    "a.yaml",
    "--status",
  ]);
  assert.deepEqual(normalizeFlags(["-config=a.yaml"]), ["--config=a.yaml"]);
});

Deno.test("two-dash flags, short flags, values and commands are kept", () => {
  assert.deepEqual(
    normalizeFlags(["check", "--config", "x", "-h", "-", "file-name"]),
    ["check", "--config", "x", "-h", "-", "file-name"],
  );
});

Deno.test("nothing after -- is rewritten", () => {
  assert.deepEqual(normalizeFlags(["-debug", "--", "-config"]), ["--debug", "--", "-config"]);
});
