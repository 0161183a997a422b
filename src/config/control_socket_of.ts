/**
 * Where a config file's daemon has its control socket, read leniently: `bond status` must work
 * while the file on disk has an error in an unrelated key (the daemon still runs the old one),
 * and without reading key files. Only `control.socket` and `interface.name` matter here.
 */
import { parse } from "yaml";
import { defaultControlSocket } from "./validate_operations.ts";

/** Default TUN name, as validation applies it. */
const DEFAULT_INTERFACE = "bnd0";

export function controlSocketOf(configText: string): string {
  const top = parse(configText) as Record<string, unknown> | null;
  const section = (key: string) => {
    const v = top?.[key];
    return typeof v === "object" && v !== null ? v as Record<string, unknown> : {};
  };
  const socket = section("control").socket;
  if (typeof socket === "string" && socket !== "") return socket;
  const name = section("interface").name;
  return defaultControlSocket(typeof name === "string" && name !== "" ? name : DEFAULT_INTERFACE);
}
