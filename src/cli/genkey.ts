/** `bond genkey`: a fresh private key, base64 and a newline, exactly as `wg genkey` prints. */
import { encodeKey, generatePrivateKey } from "../protocol/keys.ts";
import { parseCommandArgs } from "./parse_command_args.ts";

export function genkeyCommand(args: string[]): Promise<number> {
  parseCommandArgs("genkey", args, {});
  console.log(encodeKey(generatePrivateKey()));
  return Promise.resolve(0);
}
