import assert from "node:assert/strict";
import { routerValue, type Yamlish } from "./test_fixtures.ts";
import { checkConfig, configProblems } from "./test_validate.ts";
import { MAX_LINKS } from "./validate_links.ts";

/** A router file changed by `mutate`. */
function router(mutate: (v: Yamlish) => void): Yamlish {
  const v = routerValue();
  mutate(v);
  return v;
}

const validate = (mutate: (v: Yamlish) => void) => checkConfig(router(mutate));
const problems = (mutate: (v: Yamlish) => void) => configProblems(router(mutate));

Deno.test("endpoint: a list of the VPS's IPv4 and IPv6 endpoints gives the alternate", () => {
  const r = validate((v) => (v.peers[0].endpoint = ["203.0.113.10:65535", "[2001:db8::10]:65535"]));
  if (!r.ok) assert.fail(r.problems.join("\n"));
  assert.deepEqual(r.config.peers[0].endpoint, { host: "203.0.113.10", port: 65535 });
  assert.deepEqual(r.config.peers[0].alternateEndpoint, { host: "2001:db8::10", port: 65535 });
  const single = validate((v) => (v.peers[0].endpoint = ["[2001:db8::10]:65535"]));
  assert.ok(single.ok && single.config.peers[0].alternateEndpoint === undefined);
  const plain = validate(() => {});
  assert.ok(plain.ok && plain.config.peers[0].alternateEndpoint === undefined);
});

Deno.test("endpoint: lists of one family, of names, too long or empty are refused with the reason", () => {
  assert.deepEqual(
    problems((v) => (v.peers[0].endpoint = ["203.0.113.10:65535", "198.51.100.1:65535"])),
    [
      "peers[0].endpoint: the two endpoints are of the same family; want one IPv4 and one IPv6 address",
    ],
  );
  assert.deepEqual(
    problems((v) => (v.peers[0].endpoint = ["vps.example.net:65535", "[2001:db8::10]:65535"])),
    [
      "peers[0].endpoint[0]: in a list, want an IP address (a name gives both families by itself)",
    ],
  );
  assert.match(
    problems((
      v,
    ) => (v.peers[0].endpoint = ["203.0.113.10:65535", "[2001:db8::1]:1", "[::2]:3"]))[0],
    /^peers\[0\]\.endpoint: want host:port, or a list .* got 3$/,
  );
  assert.match(problems((v) => (v.peers[0].endpoint = []))[0], /got 0$/);
  assert.match(
    problems((v) => (v.peers[0].endpoint = ["203.0.113.10:65535", 7]))[0],
    /^peers\[0\]\.endpoint\[1\]: want host:port$/,
  );
});

Deno.test("links: at most MAX_LINKS", () => {
  const many = Array.from(
    { length: MAX_LINKS + 1 },
    (_, i) => ({ name: `l${i}`, device: `e${i}` }),
  );
  const found = problems((v) => (v.links = many));
  assert.ok(
    found.includes(`links: ${MAX_LINKS + 1} links; at most ${MAX_LINKS} are bonded together`),
    found.join("\n"),
  );
});
