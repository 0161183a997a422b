import assert from "node:assert/strict";
import { resolvePeerEndpoints } from "./resolve.ts";

Deno.test("resolve: literals give the endpoint and the other family's alternate", async () => {
  const both = await resolvePeerEndpoints({
    endpoint: { host: "203.0.113.10", port: 65535 },
    alternateEndpoint: { host: "2001:db8::10", port: 65000 },
  });
  assert.equal(both?.endpoint.toString(), "203.0.113.10:65535");
  assert.equal(both?.alternate?.toString(), "[2001:db8::10]:65000");
  const one = await resolvePeerEndpoints({ endpoint: { host: "2001:db8::10", port: 1 } });
  assert.equal(one?.endpoint.toString(), "[2001:db8::10]:1");
  assert.equal(one?.alternate, undefined);
  assert.equal(await resolvePeerEndpoints({}), undefined);
});
