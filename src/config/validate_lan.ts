/**
 * `lan:` (router only): where the routed IPv6 prefix the VPS hands this router goes.
 * `interface` gets `<prefix>::1/64` and, with `router_advertisements` (the default), bond
 * announces the prefix there itself; set it false when another daemon (odhcpd, radvd) does.
 * Without `interface` the prefix is only shown in status.
 */
import type { MappingReader } from "./mapping_reader.ts";
import { interfaceNameProblem } from "./interface_name.ts";
import type { BondConfig } from "./types.ts";

const KEYS = ["interface", "router_advertisements"] as const;

export function validateLan(top: MappingReader, tunName: string | undefined): BondConfig["lan"] {
  const r = top.mapping("lan", KEYS);
  if (!r) return undefined;
  const name = r.string("interface");
  if (name !== undefined) {
    const problem = interfaceNameProblem(name);
    if (problem) r.fail("interface", problem);
    else if (name === tunName) {
      r.fail("interface", `${name} is the tunnel (interface.name); name the LAN bridge or port`);
    }
  }
  const advertise = r.boolean("router_advertisements") ?? true;
  if (r.has("router_advertisements") && name === undefined && advertise) {
    r.fail("router_advertisements", "needs lan.interface: the interface to advertise on");
  }
  return { ...(name !== undefined ? { interface: name } : {}), routerAdvertisements: advertise };
}
