import assert from "node:assert/strict";
import { interfaceNameProblem } from "./interface_name.ts";

Deno.test("interface names up to 15 bytes pass", () => {
  assert.equal(interfaceNameProblem("bnd0"), undefined);
  assert.equal(interfaceNameProblem("a".repeat(15)), undefined);
});

Deno.test("interface names of 16 bytes or with separators are rejected", () => {
  assert.match(interfaceNameProblem("a".repeat(16)) ?? "", /16 bytes, at most 15/);
  assert.match(interfaceNameProblem("eth/0") ?? "", /must not contain/);
  assert.match(interfaceNameProblem("eth 0") ?? "", /must not contain/);
  assert.match(interfaceNameProblem("..") ?? "", /not a valid interface name/);
});
