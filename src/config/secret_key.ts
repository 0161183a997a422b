/**
 * Curve25519 keys in the config: inline base64 (`private_key`) or read from a file named by the
 * `*_file` twin (`private_key_file`), never both. Relative file names are taken from the config
 * file's directory, so a config and its key files can move together.
 */
import { isAbsolute, join } from "node:path";
import { decodeKey, KEY_LENGTH } from "../protocol/keys.ts";
import type { MappingReader } from "./mapping_reader.ts";
import { PEER_KEY_PLACEHOLDER } from "./placeholder.ts";
import { describeReadFailure } from "./read_failure.ts";

export interface SecretKeyRules {
  /** Whether `<key>_file` is accepted as the other spelling. */
  fileAllowed: boolean;
  required: boolean;
  /** Directory of the config file, for relative `*_file` names. */
  baseDir: string;
}

/** Reads key `key` of `reader` (or its `_file` twin); records problems and returns undefined. */
export function readSecretKey(
  reader: MappingReader,
  key: string,
  rules: SecretKeyRules,
): Uint8Array | undefined {
  const fileKey = `${key}_file`;
  const inline = reader.has(key);
  const file = rules.fileAllowed && reader.has(fileKey);
  if (inline && file) {
    reader.fail(key, `give either ${key} or ${fileKey}, not both`);
    return undefined;
  }
  if (inline) {
    const text = reader.string(key);
    if (text === undefined) return undefined;
    return decodeOrFail(reader, key, text, "");
  }
  if (file) {
    const name = reader.string(fileKey);
    if (name === undefined) return undefined;
    const path = isAbsolute(name) ? name : join(rules.baseDir, name);
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (e) {
      reader.fail(fileKey, `cannot read ${path}: ${describeReadFailure(e)}`);
      return undefined;
    }
    return decodeOrFail(reader, fileKey, text, `${path}: `);
  }
  if (rules.required) {
    const either = rules.fileAllowed ? ` (or ${fileKey})` : "";
    reader.fail(key, `missing (required)${either}`);
  }
  return undefined;
}

function decodeOrFail(
  reader: MappingReader,
  key: string,
  text: string,
  where: string,
): Uint8Array | undefined {
  const result = checkKeyText(text);
  if (typeof result === "string") {
    reader.fail(key, where + result);
    return undefined;
  }
  return result;
}

/** The 32-byte key, or the reason the text is not one (with the length seen). */
export function checkKeyText(text: string): Uint8Array | string {
  const t = text.trim();
  if (t === PEER_KEY_PLACEHOLDER) {
    return "still the placeholder: paste the other side's public key here (the other side's " +
      "`bond config` printed it; or run `bond pubkey < private.key` there)";
  }
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) {
    return `not base64 (want the 44-character base64 form of a ${KEY_LENGTH}-byte key, ` +
      `as printed by bond genkey; got ${t.length} characters)`;
  }
  const bytes = atob(t).length;
  if (bytes !== KEY_LENGTH) {
    return `wrong key length: want ${KEY_LENGTH} bytes (44 base64 characters), got ${bytes} ` +
      `bytes (${t.length} characters)`;
  }
  try {
    return decodeKey(t);
  } catch {
    // Right length but unused low bits set in the last character: not what any tool writes.
    return "not a canonical base64 key (the last character before '=' is invalid)";
  }
}
