/**
 * `bond reload [-config FILE | -socket PATH]`: the daemon re-reads its file. Prints what was
 * applied, what needs a restart and what is accepted but pending; a rejected file prints its
 * problems (the old configuration keeps running) and exits 1.
 */
import { controlRequest } from "../control/control_client.ts";
import { CONTROL_TARGET_FLAGS, controlSocketFor } from "./control_target.ts";
import { parseCommandArgs } from "./parse_command_args.ts";

export async function reloadCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("reload", args, {
    ...CONTROL_TARGET_FLAGS,
    json: { type: "boolean", default: false },
  });
  const socket = await controlSocketFor("reload", values);
  const response = await controlRequest(socket, { command: "reload" });
  if (values.json) {
    console.log(JSON.stringify(response, null, 2));
    return response.ok ? 0 : 1;
  }
  if (!response.ok) {
    console.error(`bond: reload: ${response.error}`);
    for (const p of response.problems ?? []) console.error(p);
    return 1;
  }
  if (!("reload" in response)) throw new Error("the daemon answered without a reload report");
  const r = response.reload;
  console.log(r.applied.length > 0 ? "reloaded" : "reloaded, nothing to apply live");
  for (const a of r.applied) console.log(`applied: ${a}`);
  for (const k of r.needs_restart) console.log(`needs restart: ${k}`);
  for (const k of r.pending) console.log(`accepted, not acted on by this build yet: ${k}`);
  return 0;
}
