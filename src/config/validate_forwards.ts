/**
 * A `forwards:` list: the router's (pushed to the VPS) or a VPS peer's static ones
 * (`peers[].forwards`), same shape. Ports 65000-65535 are the VPS's own (underlay, control), so
 * a forward there would steal them. A port may appear once per address family of its target:
 * IPv4 to one LAN host and IPv6 to another is fine.
 */
import { parseHostPort } from "./host_port.ts";
import { MappingReader } from "./mapping_reader.ts";
import { indexPath } from "./problems.ts";
import { type ForwardConfig, type ForwardProto, RESERVED_PORT_START } from "./types.ts";

const KEYS = ["proto", "port", "to"] as const;
const PROTOS: readonly ForwardProto[] = ["tcp", "udp"];

export function validateForwards(top: MappingReader): ForwardConfig[] {
  // The mapping holding `forwards` is the top level for the router, a peer entry on the VPS.
  const items = top.list("forwards");
  if (!items) return [];
  const forwards: ForwardConfig[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const r = MappingReader.open(item, indexPath(top.pathOf("forwards"), i), top.problems, KEYS);
    if (!r) return;
    const f = validateForward(r);
    if (!f) return;
    const id = `${f.proto}/${f.port}${f.to.host.includes(":") ? " (IPv6)" : ""}`;
    const first = seen.get(id);
    if (first !== undefined) r.fail("port", `${id} is already forwarded by forwards[${first}]`);
    else seen.set(id, i);
    forwards.push(f);
  });
  return forwards;
}

function validateForward(r: MappingReader): ForwardConfig | undefined {
  const hasProto = r.require("proto");
  const hasPort = r.require("port");
  const hasTo = r.require("to");
  const proto = hasProto ? r.oneOf("proto", PROTOS) : undefined;
  let port = hasPort ? r.integer("port", 1, 65535) : undefined;
  if (port !== undefined && port >= RESERVED_PORT_START) {
    r.fail(
      "port",
      `${port}: ports ${RESERVED_PORT_START}-65535 are reserved for the VPS itself; ` +
        `pick a port below ${RESERVED_PORT_START}`,
    );
    port = undefined;
  }
  const toText = hasTo ? r.string("to") : undefined;
  let to: ForwardConfig["to"] | undefined;
  if (toText !== undefined) {
    try {
      to = parseHostPort(toText, { ipOnly: true });
    } catch (e) {
      r.fail("to", (e as Error).message);
    }
  }
  if (!proto || port === undefined || !to) return undefined;
  return { proto, port, to };
}
