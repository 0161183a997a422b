/** `bond status --json` on a lab host, checked against the status schema. */
import assert from "node:assert/strict";
import type { Lab } from "./harness/netns.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import { type StatusDocument, statusDocumentProblems } from "../../src/control/status_document.ts";

/** `target` picks the daemon: `["-config", FILE]` or `["-socket", PATH]`. */
export async function statusJson(
  lab: Lab,
  host: string,
  target: ["-config" | "-socket", string],
): Promise<StatusDocument> {
  const r = await bondCli(lab, host, ["status", "--json", ...target]);
  assert.equal(r.code, 0, `bond status --json: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(statusDocumentProblems(doc), []);
  return doc as StatusDocument;
}
