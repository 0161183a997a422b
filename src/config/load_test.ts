import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { loadConfig, parseConfigText } from "./load.ts";
import { ROUTER_PRIVATE, routerValue, toYaml, VPS_PUBLIC, vpsValue } from "./test_fixtures.ts";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("router and VPS configs round-trip through YAML text", () => {
  const router = parseConfigText(toYaml(routerValue()), "/etc/bond/router.yaml");
  assert.deepEqual(router.privateKey, ROUTER_PRIVATE);
  assert.deepEqual(router.peers[0].publicKey, VPS_PUBLIC);
  assert.equal(router.links.length, 2);
  const vps = parseConfigText(toYaml(vpsValue()), "/etc/bond/vps.yaml");
  assert.equal(vps.role, "vps");
  assert.equal(vps.interface.listenPort, 65535);
});

Deno.test("the contract's flow-style YAML spellings parse without quoting", () => {
  const v = routerValue();
  const text = toYaml({ ...v, interface: undefined, peers: undefined }) +
    `interface:\n  name: bnd0\n  address: [10.66.0.2/24, fd66::2/64]\n  mtu: auto\n` +
    `peers:\n  - public_key: ${v.peers[0].public_key}\n    endpoint: "[2001:db8::10]:65535"\n` +
    `    allowed_ips: [0.0.0.0/0, ::/0]\n`;
  const c = parseConfigText(text, "x.yaml");
  assert.deepEqual(c.interface.address.map((a) => a.text), ["10.66.0.2/24", "fd66::2/64"]);
  assert.equal(c.peers[0].endpoint?.host, "2001:db8::10");
  assert.deepEqual(c.peers[0].allowedIps.map((a) => a.text), ["0.0.0.0/0", "::/0"]);
});

Deno.test("an unquoted [v6]:port endpoint gets a hint to quote it", () => {
  const text = "role: router\npeers:\n  - endpoint: [2001:db8::10]:65535  # vps\n";
  const e = configError(() => parseConfigText(text, "v6.yaml"));
  assert.match(e.problems[0], /^yaml \(line 3, column \d+\): /);
  assert.match(e.problems[0], /quote the IPv6 endpoint: endpoint: "\[2001:db8::10\]:65535"/);
});

Deno.test("YAML syntax errors are reported with line and column", () => {
  const e = configError(() => parseConfigText("role: router\npeers: [a, b\n", "bad.yaml"));
  assert.equal(e.file, "bad.yaml");
  assert.equal(e.problems.length, 1);
  assert.match(e.problems[0], /^yaml \(line 3, column 1\): /);
});

Deno.test("duplicate YAML keys are syntax errors, not silently merged", () => {
  const e = configError(() => parseConfigText("role: router\nrole: vps\n", "dup.yaml"));
  assert.match(e.problems[0], /^yaml \(line 2, column 1\): Map keys must be unique/);
});

Deno.test("an empty file reports that the top level is not a mapping", () => {
  const e = configError(() => parseConfigText("", "empty.yaml"));
  assert.deepEqual(e.problems, ["(top level): want a mapping of keys, got nothing (empty value)"]);
});

Deno.test("validation problems arrive together in one ConfigError naming the file", () => {
  const v = routerValue();
  v.extra = 1;
  v.interface.mtu = 1;
  const e = configError(() => parseConfigText(toYaml(v), "/etc/bond/bond.yaml"));
  assert.deepEqual(e.problems, [
    "extra: unknown key (known keys: role, private_key, private_key_file, interface, peers, " +
    "links, scheduler, routing, nat, forwards, lan, crypto, log, control, metrics)",
    "interface.mtu: 1 out of range 1280-9000",
  ]);
  assert.match(e.message, /^\/etc\/bond\/bond.yaml: 2 problems:\nextra: unknown key/);
});

Deno.test("loadConfig reads the file and resolves key files beside it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bond-load-" });
  try {
    const v = routerValue();
    await Deno.writeTextFile(`${dir}/private.key`, v.private_key);
    delete v.private_key;
    v.private_key_file = "private.key";
    await Deno.writeTextFile(`${dir}/bond.yaml`, toYaml(v));
    const c = await loadConfig(`${dir}/bond.yaml`);
    assert.deepEqual(c.privateKey, ROUTER_PRIVATE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig of a missing file is a ConfigError naming the file", async () => {
  await assert.rejects(loadConfig("/nonexistent/bond.yaml"), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems, ["cannot read config file: no such file"]);
    assert.equal(e.file, "/nonexistent/bond.yaml");
    return true;
  });
});
