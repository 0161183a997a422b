/** The `interface:` section: TUN name, addresses, MTU, listen port. */
import { parseCidr } from "../net/cidr.ts";
import { interfaceNameProblem } from "./interface_name.ts";
import { MappingReader } from "./mapping_reader.ts";
import { describeValue, indexPath, type Problems } from "./problems.ts";
import {
  AUTO_MTU_START,
  type Cidr,
  type InterfaceConfig,
  MAX_MTU,
  MIN_MTU,
  type Role,
} from "./types.ts";

const KEYS = ["name", "address", "mtu", "listen_port"] as const;

export function validateInterface(
  top: MappingReader,
  role: Role | undefined,
): InterfaceConfig | undefined {
  if (!top.require("interface")) return undefined;
  const r = top.mapping("interface", KEYS);
  if (!r) return undefined;

  const name = r.string("name") ?? "bnd0";
  const nameProblem = interfaceNameProblem(name);
  if (nameProblem) r.fail("name", nameProblem);

  let address: Cidr[] | undefined;
  if (r.require("address")) {
    address = readCidrList(r, "address");
    if (address?.length === 0) r.fail("address", "want at least one address, e.g. 10.66.0.2/24");
  }

  const mtu = readMtu(r);

  let listenPort = r.integer("listen_port", 1, 65535);
  if (role === "vps" && !r.has("listen_port")) {
    r.fail("listen_port", "missing: the VPS needs a fixed UDP port for every link to land on");
  }
  if (role === "router" && r.has("listen_port")) {
    r.fail("listen_port", "only for role vps (the router uses an ephemeral port per link)");
    listenPort = undefined;
  }

  if (!address || mtu === undefined) return undefined;
  return {
    name,
    address,
    mtu,
    effectiveMtu: mtu === "auto" ? AUTO_MTU_START : mtu,
    ...(listenPort !== undefined ? { listenPort } : {}),
  };
}

function readMtu(r: MappingReader): "auto" | number | undefined {
  const v = r.raw("mtu");
  if (v === undefined || v === "auto") return "auto";
  if (typeof v === "number") return r.integer("mtu", MIN_MTU, MAX_MTU);
  return r.fail("mtu", `want auto or a number ${MIN_MTU}-${MAX_MTU}, got ${describeValue(v)}`);
}

/** A list of CIDRs under `key`; records a problem per bad entry (`key[i]`). */
export function readCidrList(r: MappingReader, key: string): Cidr[] | undefined {
  const items = r.list(key);
  if (!items) return undefined;
  return parseCidrItems(items, r.pathOf(key), r.problems);
}

function parseCidrItems(items: unknown[], path: string, problems: Problems): Cidr[] | undefined {
  const out: Cidr[] = [];
  let ok = true;
  items.forEach((item, i) => {
    if (typeof item !== "string") {
      problems.add(
        indexPath(path, i),
        `want a CIDR such as 10.0.0.0/8, got ${describeValue(item)}`,
      );
      ok = false;
      return;
    }
    try {
      out.push(parseCidr(item));
    } catch (e) {
      problems.add(indexPath(path, i), `invalid CIDR: ${(e as Error).message}`);
      ok = false;
    }
  });
  return ok ? out : undefined;
}
