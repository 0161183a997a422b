import assert from "node:assert/strict";
import type { BondConfig, LinkConfig } from "../config/types.ts";
import type { StatusDocument } from "./status_document.ts";
import { findLink, linkTarget, vpsPublicHost } from "./link_speedtest_target.ts";

const links: LinkConfig[] = [
  { name: "wan1", device: "wan1", weight: 1 },
  {
    name: "wan2",
    source: { family: 4, address: new Uint8Array([100, 64, 2, 2]), text: "100.64.2.2" },
    weight: 1,
  },
];
const config = {
  links,
  peers: [{ endpoint: { host: "203.0.113.10", port: 65535 } }],
} as unknown as BondConfig;

function status(endpoint: string | null): StatusDocument {
  return { peers: [{ endpoint }] } as unknown as StatusDocument;
}

Deno.test("findLink: the named link, or an error listing the links", () => {
  assert.equal(findLink(config, "wan2", "/etc/bond/bond.yaml").name, "wan2");
  assert.throws(
    () => findLink(config, "lte", "/etc/bond/bond.yaml"),
    /^Error: no link "lte" in \/etc\/bond\/bond\.yaml \(links: wan1, wan2\); run bond speedtest/,
  );
});

Deno.test("vpsPublicHost: the status endpoint first, the configured one without it", async () => {
  assert.equal(await vpsPublicHost(status("198.51.100.7:65535"), config), "198.51.100.7");
  assert.equal(await vpsPublicHost(status("[2001:db8::7]:65535"), config), "2001:db8::7");
  assert.equal(await vpsPublicHost(status(null), config), "203.0.113.10");
  const none = { links, peers: [{}] } as unknown as BondConfig;
  await assert.rejects(() => vpsPublicHost(status(null), none), /knows no endpoint/);
});

Deno.test("linkTarget: a source of the endpoint's family is used, another family needs a device", () => {
  assert.deepEqual(linkTarget(links[1], "203.0.113.10").source, "100.64.2.2");
  assert.equal(linkTarget(links[0], "203.0.113.10").source, undefined);
  assert.throws(
    () => linkTarget(links[1], "2001:db8::7"),
    /link "wan2" has an IPv4 source and no device, but the VPS's endpoint 2001:db8::7 is IPv6/,
  );
  const both = { ...links[1], device: "wan2" };
  assert.equal(linkTarget(both, "2001:db8::7").source, undefined);
});
