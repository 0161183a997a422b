/** `bond pubkey`: private key on stdin → public key on stdout, as `wg pubkey`. */
import { checkKeyText } from "../config/secret_key.ts";
import { encodeKey, publicKey } from "../protocol/keys.ts";
import { parseCommandArgs } from "./parse_command_args.ts";

export async function pubkeyCommand(args: string[]): Promise<number> {
  parseCommandArgs("pubkey", args, {});
  const text = await new Response(Deno.stdin.readable).text();
  if (text.trim() === "") {
    throw new Error("pubkey: no private key on stdin (try: bond genkey | bond pubkey)");
  }
  const key = checkKeyText(text);
  if (typeof key === "string") throw new Error(`pubkey: stdin is not a private key: ${key}`);
  console.log(encodeKey(publicKey(key)));
  return 0;
}
