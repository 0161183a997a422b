import assert from "node:assert/strict";
import type { LinkHello } from "../bonding/control_frame_types.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { LearnedPaths } from "./learned_paths.ts";

const hello = (linkId: number, epoch = 7): LinkHello => ({
  type: "link-hello",
  epoch,
  linkId,
  name: `wan${linkId + 1}`,
  downKbps: 0,
});

Deno.test("learned paths: hellos create paths, follow NAT rebinding, a new epoch starts over", () => {
  const paths = new LearnedPaths();
  const a = Endpoint.parse("203.0.113.1:40000");
  const b = Endpoint.parse("203.0.113.2:40001");
  assert.equal(paths.onHello(0, 0, 0, a, hello(0)), "new");
  assert.equal(paths.onHello(1, 0, 0, b, hello(1)), "new");
  assert.equal(paths.onHello(2, 0, 0, a, hello(0)), "refreshed");
  assert.deepEqual(paths.paths(0).map((p) => [p.name, p.endpoint.toString()]), [
    ["wan1", "203.0.113.1:40000"],
    ["wan2", "203.0.113.2:40001"],
  ]);
  // The NAT in front of wan1 picked a new port.
  const rebound = Endpoint.parse("203.0.113.1:40999");
  assert.equal(paths.onHello(3, 0, 0, rebound, hello(0)), "rebound");
  assert.equal(paths.paths(0)[0].endpoint.toString(), "203.0.113.1:40999");
  assert.equal(paths.paths(0)[0].rebinds, 1);
  assert.equal(paths.paths(0)[0].lastHelloAt, 3);
  rebound.copyFrom(a);
  assert.equal(paths.paths(0)[0].endpoint.toString(), "203.0.113.1:40999", "kept a copy");
  // The router restarted: its old link ids mean nothing.
  assert.equal(paths.onHello(4, 0, 0, b, hello(0, 8)), "new-epoch");
  assert.deepEqual(paths.paths(0).map((p) => p.endpoint.toString()), ["203.0.113.2:40001"]);
  assert.deepEqual(paths.paths(1), [], "per peer");
  paths.forget(0);
  assert.deepEqual(paths.paths(0), []);
});

Deno.test("learned paths: silent ones are forgotten, a later hello learns them again", () => {
  const paths = new LearnedPaths();
  const a = Endpoint.parse("203.0.113.1:40000");
  const b = Endpoint.parse("203.0.113.2:40001");
  paths.onHello(0, 0, 0, a, hello(0));
  paths.onHello(0, 0, 0, b, hello(1));
  paths.onHello(50_000, 0, 0, b, hello(1));
  assert.deepEqual(paths.forgetSilent(0, 10_000).map((p) => p.name), ["wan1"]);
  assert.deepEqual(paths.paths(0).map((p) => p.name), ["wan2"]);
  assert.deepEqual(paths.forgetSilent(0, 10_000), []);
  assert.deepEqual(paths.forgetSilent(7, 10_000), [], "an unknown peer");
  assert.equal(paths.onHello(60_000, 0, 0, a, hello(0)), "new");
});

Deno.test("learned paths: mostPaths is the largest path count of any peer", () => {
  const paths = new LearnedPaths();
  assert.equal(paths.mostPaths(), 0);
  const hello = (linkId: number) => ({
    type: "link-hello" as const,
    epoch: 1,
    linkId,
    name: `wan${linkId}`,
    downKbps: 0,
  });
  for (const id of [0, 1, 2]) paths.onHello(0, 0, 0, Endpoint.parse("192.0.2.1:1000"), hello(id));
  paths.onHello(0, 1, 0, Endpoint.parse("192.0.2.2:1000"), hello(4));
  assert.equal(paths.mostPaths(), 3);
  paths.forget(0);
  assert.equal(paths.mostPaths(), 1);
});
