import assert from "node:assert/strict";
import { parseConfigText } from "../config/load.ts";
import { routerValue, toYaml, vpsValue } from "../config/test_fixtures.ts";
import { summarize } from "./check.ts";

Deno.test("summarize counts peers and (for the router) links with plurals", () => {
  assert.equal(
    summarize(parseConfigText(toYaml(routerValue()), "r.yaml")),
    "role router, 1 peer, 2 links",
  );
  const v = routerValue();
  delete v.links;
  delete v.forwards;
  assert.equal(summarize(parseConfigText(toYaml(v), "r.yaml")), "role router, 1 peer, 1 link");
  const vps = vpsValue();
  vps.peers.push({
    ...vps.peers[0],
    name: "laptop",
    public_key: v.private_key,
    allowed_ips: "10.66.0.3/32",
  });
  assert.equal(summarize(parseConfigText(toYaml(vps), "v.yaml")), "role vps, 2 peers");
});
