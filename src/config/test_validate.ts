/** Validation as the config tests call it: relative `*_file` paths resolve from the cwd. */
import assert from "node:assert/strict";
import type { Yamlish } from "./test_fixtures.ts";
import { validateConfig } from "./validate.ts";

export function checkConfig(value: Yamlish) {
  return validateConfig(value, { baseDir: Deno.cwd() });
}

/** The problems of a value that must fail validation. */
export function configProblems(value: Yamlish): string[] {
  const r = checkConfig(value);
  assert.equal(r.ok, false, "expected validation to fail");
  return r.ok ? [] : r.problems;
}
