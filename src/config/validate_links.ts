/**
 * The router's `links:` list: one entry per WAN, each pinned to a device (SO_BINDTODEVICE)
 * and/or a source address. Without the section the router uses one link over the default route.
 */
import { parseIpAddress } from "../net/ip_address.ts";
import { interfaceNameProblem } from "./interface_name.ts";
import { MappingReader } from "./mapping_reader.ts";
import { indexPath } from "./problems.ts";
import type { LinkConfig } from "./types.ts";

const KEYS = ["name", "device", "source", "weight", "down_mbps", "up_mbps"] as const;

/**
 * Links a router may have: each is a path of its own, and a bonded peer keeps a fixed table of
 * 8 paths (the data path's PATHS_PER_PEER).
 */
export const MAX_LINKS = 8;

/** What an omitted `links:` means: one unbound socket that follows the default route. */
export const DEFAULT_LINK: Readonly<LinkConfig> = { name: "default", weight: 1 };

export function validateLinks(top: MappingReader): LinkConfig[] {
  if (!top.has("links")) return [{ ...DEFAULT_LINK }];
  const items = top.list("links");
  if (!items) return [];
  if (items.length === 0) {
    top.fail("links", "empty list: name at least one link, or omit links to use the default route");
  }
  if (items.length > MAX_LINKS) {
    top.fail("links", `${items.length} links; at most ${MAX_LINKS} are bonded together`);
  }
  const links: LinkConfig[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const r = MappingReader.open(item, indexPath(top.pathOf("links"), i), top.problems, KEYS);
    if (!r) return;
    const link = validateLink(r);
    if (!link) return;
    const first = seen.get(link.name);
    if (first !== undefined) {
      r.fail("name", `duplicate link name "${link.name}" (also links[${first}])`);
    } else seen.set(link.name, i);
    links.push(link);
  });
  return links;
}

function validateLink(r: MappingReader): LinkConfig | undefined {
  r.require("name");
  const name = r.string("name");
  const device = r.string("device");
  if (device !== undefined) {
    const problem = interfaceNameProblem(device);
    if (problem) r.fail("device", problem);
  }
  const sourceText = r.string("source");
  let source: LinkConfig["source"];
  if (sourceText !== undefined) {
    try {
      source = parseIpAddress(sourceText);
    } catch (e) {
      r.fail("source", (e as Error).message);
    }
  }
  if (!r.has("device") && !r.has("source")) {
    r.fail("device", "a link needs a device, a source address, or both");
  }
  const weight = r.positive("weight") ?? 1;
  const downMbps = r.positive("down_mbps");
  const upMbps = r.positive("up_mbps");
  if (name === undefined) return undefined;
  return {
    name,
    ...(device !== undefined ? { device } : {}),
    ...(source ? { source } : {}),
    weight,
    ...(downMbps !== undefined ? { downMbps } : {}),
    ...(upMbps !== undefined ? { upMbps } : {}),
  };
}
