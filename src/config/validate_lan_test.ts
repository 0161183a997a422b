import assert from "node:assert/strict";
import { routerValue, vpsValue } from "./test_fixtures.ts";
import { checkConfig as check, configProblems as problems } from "./test_validate.ts";

Deno.test("lan: absent by default; an interface advertises unless told not to", () => {
  const none = check(routerValue());
  if (!none.ok) throw new Error(none.problems.join("\n"));
  assert.equal(none.config.lan, undefined);

  const v = routerValue();
  v.lan = { interface: "br-lan" };
  const r = check(v);
  if (!r.ok) throw new Error(r.problems.join("\n"));
  assert.deepEqual(r.config.lan, { interface: "br-lan", routerAdvertisements: true });

  v.lan.router_advertisements = false;
  const quiet = check(v);
  if (!quiet.ok) throw new Error(quiet.problems.join("\n"));
  assert.deepEqual(quiet.config.lan, { interface: "br-lan", routerAdvertisements: false });

  // An empty section: the prefix is only shown in status.
  const bare = routerValue();
  bare.lan = {};
  const shown = check(bare);
  if (!shown.ok) throw new Error(shown.problems.join("\n"));
  assert.deepEqual(shown.config.lan, { routerAdvertisements: true });
});

Deno.test("lan: every problem names its key", () => {
  const v = routerValue();
  v.lan = { interface: "this-name-is-too-long", router_advertisements: "yes", radvd: true };
  const p = problems(v).join("\n");
  assert.match(p, /^lan\.interface: .*15/m);
  assert.match(p, /^lan\.router_advertisements: want true or false, got/m);
  assert.match(p, /^lan\.radvd: unknown key/m);

  const tun = routerValue();
  tun.lan = { interface: "bnd0" };
  assert.match(problems(tun).join("\n"), /^lan\.interface: bnd0 is the tunnel/m);

  const nowhere = routerValue();
  nowhere.lan = { router_advertisements: true };
  assert.match(
    problems(nowhere).join("\n"),
    /^lan\.router_advertisements: needs lan\.interface/m,
  );

  const list = routerValue();
  list.lan = ["br-lan"];
  assert.match(problems(list).join("\n"), /^lan: /m);
});

Deno.test("lan: only for role router", () => {
  const v = vpsValue();
  v.lan = { interface: "br-lan" };
  assert.deepEqual(problems(v), ["lan: only for role router"]);
});
