/**
 * `bond version`: bond's version, the Deno runtime, the build target and the crypto backend
 * the data path would use here. The backend selector is imported lazily so a broken or missing
 * crypto library still lets `version` report everything else (and the reason).
 */
import { VERSION } from "../version.ts";
import { parseCommandArgs } from "./parse_command_args.ts";

export async function versionCommand(args: string[]): Promise<number> {
  parseCommandArgs("version", args, {});
  console.log(`bond ${VERSION}`);
  console.log(
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
  );
  console.log(`target ${Deno.build.target}`);
  console.log(`crypto ${await cryptoBackend()}`);
  return 0;
}

async function cryptoBackend(): Promise<string> {
  try {
    const { selectTransportAead } = await import("../crypto/select.ts");
    return (await selectTransportAead("auto")).name;
  } catch (e) {
    return `unavailable (${e instanceof Error ? e.message : String(e)})`;
  }
}
