import assert from "node:assert/strict";
import { encodeKey } from "../protocol/keys.ts";
import { PEER_KEY_PLACEHOLDER } from "./placeholder.ts";
import {
  PSK,
  ROUTER_PRIVATE,
  ROUTER_PUBLIC,
  routerValue,
  VPS_PRIVATE,
  VPS_PUBLIC,
  vpsValue,
  type Yamlish,
} from "./test_fixtures.ts";
import { AUTO_MTU_START } from "./types.ts";
import { validateConfig } from "./validate.ts";
import { configProblems } from "./test_validate.ts";

const baseDir = Deno.cwd();

/** Asserts one problem is reported for exactly `path`, with a reason matching `reason`. */
function assertProblem(value: Yamlish, path: string, reason: RegExp): void {
  const problems = configProblems(value);
  const hit = problems.find((p) => p.startsWith(`${path}: `) && reason.test(p));
  assert.ok(hit, `no problem "${path}: ${reason}" in:\n${problems.join("\n")}`);
}

function valid(value: Yamlish) {
  const r = validateConfig(value, { baseDir });
  if (!r.ok) assert.fail(`unexpected problems:\n${r.problems.join("\n")}`);
  return r.config;
}

Deno.test("a full router config validates into typed values", () => {
  const c = valid(routerValue());
  assert.equal(c.role, "router");
  assert.deepEqual(c.privateKey, ROUTER_PRIVATE);
  assert.equal(c.interface.name, "bnd0");
  assert.deepEqual(c.interface.address.map((a) => a.text), ["10.66.0.2/24", "fd66::2/64"]);
  assert.equal(c.interface.mtu, "auto");
  assert.equal(c.interface.effectiveMtu, AUTO_MTU_START);
  assert.equal(c.interface.listenPort, undefined);
  assert.equal(c.peers.length, 1);
  assert.deepEqual(c.peers[0].publicKey, VPS_PUBLIC);
  assert.deepEqual(c.peers[0].presharedKey, PSK);
  assert.deepEqual(c.peers[0].endpoint, { host: "203.0.113.10", port: 65535 });
  assert.deepEqual(c.peers[0].allowedIps.map((a) => [a.family, a.prefix]), [[4, 0], [6, 0]]);
  assert.equal(c.peers[0].persistentKeepalive, 25);
  assert.deepEqual(c.links.map((l) => l.name), ["dsl", "lte"]);
  assert.equal(c.links[0].device, "eth1");
  assert.equal(c.links[0].source?.text, "192.168.1.20");
  assert.equal(c.links[0].downMbps, 150);
  assert.equal(c.links[0].upMbps, 30);
  assert.equal(c.links[1].weight, 1);
  assert.equal(c.links[1].downMbps, undefined);
  assert.deepEqual(c.forwards, [{
    proto: "tcp",
    port: 9987,
    to: { host: "192.168.1.50", port: 9987 },
  }]);
  assert.equal(c.routing.defaultRoute, true);
  assert.equal(c.nat, undefined);
});

Deno.test("a full VPS config validates into typed values", () => {
  const c = valid(vpsValue());
  assert.equal(c.role, "vps");
  assert.deepEqual(c.privateKey, VPS_PRIVATE);
  assert.equal(c.interface.listenPort, 65535);
  assert.deepEqual(c.peers[0].publicKey, ROUTER_PUBLIC);
  assert.equal(c.peers[0].endpoint, undefined);
  assert.deepEqual(c.peers[0].allowedIps.map((a) => a.text), ["10.66.0.2/32", "fd66::2/128"]);
  assert.equal(c.scheduler.mode, "redundant");
  assert.deepEqual(c.nat, { publicInterface: "eth0" });
  assert.deepEqual(c.links, []);
  assert.deepEqual(c.forwards, []);
});

Deno.test("omitted optional keys take their documented defaults", () => {
  const v = routerValue();
  delete v.interface.name;
  delete v.interface.mtu;
  delete v.peers[0].name;
  delete v.peers[0].preshared_key;
  delete v.peers[0].allowed_ips;
  delete v.peers[0].persistent_keepalive;
  delete v.links;
  delete v.scheduler;
  delete v.routing;
  delete v.forwards;
  delete v.crypto;
  delete v.log;
  const c = valid(v);
  assert.equal(c.interface.name, "bnd0");
  assert.equal(c.interface.mtu, "auto");
  assert.equal(c.peers[0].name, "peer0");
  assert.equal(c.peers[0].presharedKey, undefined);
  assert.deepEqual(c.peers[0].allowedIps.map((a) => a.text), ["0.0.0.0/0", "::/0"]);
  assert.equal(c.peers[0].persistentKeepalive, 0);
  assert.deepEqual(c.links, [{ name: "default", weight: 1 }]);
  assert.equal(c.scheduler.mode, "aggregate");
  assert.equal(c.scheduler.tcp, "mptcp");
  assert.equal(c.routing.defaultRoute, true);
  assert.deepEqual(c.forwards, []);
  assert.equal(c.crypto.backend, "auto");
  assert.equal(c.log.level, "info");
});

Deno.test("a numeric mtu is used as given", () => {
  const v = routerValue();
  v.interface.mtu = 1380;
  const c = valid(v);
  assert.equal(c.interface.mtu, 1380);
  assert.equal(c.interface.effectiveMtu, 1380);
});

Deno.test("crypto backend and log level are read", () => {
  const v = vpsValue();
  v.crypto = { backend: "noble" };
  v.log = { level: "debug" };
  const c = valid(v);
  assert.equal(c.crypto.backend, "noble");
  assert.equal(c.log.level, "debug");
});

Deno.test("unknown keys are errors at every level, with a spelling hint", () => {
  const v = routerValue();
  v.lnks = [];
  v.interface.adress = "10.0.0.1/24";
  v.peers[0].publickey = "x";
  v.links[1].wieght = 2;
  v.forwards[0].target = "x";
  const problems = configProblems(v);
  assertProblem(v, "lnks", /unknown key \(did you mean "links"\?\)/);
  assertProblem(v, "interface.adress", /unknown key \(did you mean "address"\?\)/);
  assertProblem(v, "peers[0].publickey", /unknown key/);
  assertProblem(v, "links[1].wieght", /did you mean "weight"/);
  assertProblem(v, "forwards[0].target", /unknown key \(known keys: proto, port, to\)/);
  assert.equal(problems.length, 5, problems.join("\n"));
});

Deno.test("every problem is reported, not just the first", () => {
  const v = routerValue();
  v.role = "client";
  v.interface.mtu = 100;
  v.peers[0].persistent_keepalive = 70000;
  v.scheduler.mode = "fastest";
  const problems = configProblems(v);
  assert.ok(problems.some((p) => p.startsWith("role: want one of router | vps")));
  assert.ok(problems.some((p) => p.startsWith("interface.mtu: 100 out of range 1280-9000")));
  assert.ok(
    problems.some((p) => p.startsWith("peers[0].persistent_keepalive: 70000 out of range")),
  );
  assert.ok(problems.some((p) => p.startsWith("scheduler.mode: want one of aggregate")));
});

Deno.test("a top level that is not a mapping is one clear problem", () => {
  assert.deepEqual(configProblems(null), [
    "(top level): want a mapping of keys, got nothing (empty value)",
  ]);
  assert.deepEqual(configProblems(["role"]), ["(top level): want a mapping of keys, got a list"]);
});

Deno.test("missing required keys are named", () => {
  const problems = configProblems({});
  for (const key of ["role", "private_key", "interface", "peers"]) {
    assert.ok(problems.some((p) => p.startsWith(`${key}: missing`)), problems.join("\n"));
  }
  const v = vpsValue();
  delete v.interface.address;
  delete v.peers[0].public_key;
  delete v.peers[0].allowed_ips;
  assertProblem(v, "interface.address", /missing \(required\)/);
  assertProblem(v, "peers[0].public_key", /missing \(required\)/);
  assertProblem(v, "peers[0].allowed_ips", /missing \(required\)/);
});

Deno.test("wrong types name the key and the value seen", () => {
  const v = routerValue();
  v.interface.name = 5;
  v.peers[0].persistent_keepalive = "25";
  v.routing.default_route = "yes";
  v.links[0].weight = -1;
  v.interface.address = { a: 1 };
  assertProblem(v, "interface.name", /want a non-empty string, got 5/);
  assertProblem(v, "peers[0].persistent_keepalive", /want a whole number 0-65535, got "25"/);
  assertProblem(v, "routing.default_route", /want true or false, got "yes"/);
  assertProblem(v, "links[0].weight", /want a number greater than 0, got -1/);
  assertProblem(v, "interface.address", /want a list, got a mapping/);
});

Deno.test("keys of the wrong length name the key and the length seen", () => {
  const v = routerValue();
  v.private_key = btoa("x".repeat(31));
  v.peers[0].public_key = btoa("y".repeat(33));
  v.peers[0].preshared_key = "not base64!";
  assertProblem(v, "private_key", /want 32 bytes .*got 31 bytes \(44 characters\)/);
  assertProblem(v, "peers[0].public_key", /got 33 bytes \(44 characters\)/);
  assertProblem(v, "peers[0].preshared_key", /not base64 .*got 11 characters/);
});

Deno.test("the template placeholder is rejected with a hint to paste the other side's key", () => {
  const v = routerValue();
  v.peers[0].public_key = PEER_KEY_PLACEHOLDER;
  assertProblem(v, "peers[0].public_key", /paste the other side's public key/);
});

Deno.test("a peer with this side's own public key is rejected", () => {
  const v = routerValue();
  v.peers[0].public_key = encodeKey(ROUTER_PUBLIC);
  assertProblem(v, "peers[0].public_key", /this side's own public key/);
});

Deno.test("private_key and private_key_file: exactly one", () => {
  const both = routerValue();
  both.private_key_file = "key";
  assertProblem(both, "private_key", /either private_key or private_key_file, not both/);
  const neither = routerValue();
  delete neither.private_key;
  assertProblem(neither, "private_key", /missing \(required\) \(or private_key_file\)/);
});

Deno.test("preshared_key and preshared_key_file: at most one", () => {
  const v = routerValue();
  v.peers[0].preshared_key_file = "psk";
  assertProblem(v, "peers[0].preshared_key", /not both/);
});

Deno.test("key files are read relative to the config directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bond-config-" });
  try {
    await Deno.writeTextFile(`${dir}/private.key`, encodeKey(ROUTER_PRIVATE) + "\n");
    await Deno.writeTextFile(`${dir}/psk.key`, encodeKey(PSK));
    const v = routerValue();
    delete v.private_key;
    v.private_key_file = "private.key";
    delete v.peers[0].preshared_key;
    v.peers[0].preshared_key_file = `${dir}/psk.key`;
    const r = validateConfig(v, { baseDir: dir });
    if (!r.ok) assert.fail(r.problems.join("\n"));
    assert.deepEqual(r.config.privateKey, ROUTER_PRIVATE);
    assert.deepEqual(r.config.peers[0].presharedKey, PSK);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreadable key file names the key and the full path", () => {
  const v = routerValue();
  delete v.private_key;
  v.private_key_file = "no-such.key";
  const problems = validateConfig(v, { baseDir: "/nonexistent-dir" });
  assert.equal(problems.ok, false);
  assert.deepEqual(
    problems.ok ? [] : problems.problems,
    ["private_key_file: cannot read /nonexistent-dir/no-such.key: no such file"],
  );
});

Deno.test("a bad key inside a key file names the key and the path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bond-config-" });
  try {
    await Deno.writeTextFile(`${dir}/short.key`, btoa("z".repeat(16)));
    const v = routerValue();
    delete v.private_key;
    v.private_key_file = "short.key";
    const r = validateConfig(v, { baseDir: dir });
    assert.equal(r.ok, false);
    const text = r.ok ? "" : r.problems.join("\n");
    assert.match(
      text,
      new RegExp(`^private_key_file: ${dir}/short.key: wrong key length.*got 16 bytes`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("invalid CIDRs name the list index", () => {
  const v = routerValue();
  v.interface.address = ["10.66.0.2/24", "10.66.0.300/24", "fd66::2/129"];
  v.peers[0].allowed_ips = ["0.0.0.0/33", 7];
  assertProblem(v, "interface.address[1]", /invalid CIDR: not an IPv4 address/);
  assertProblem(v, "interface.address[2]", /prefix length 129 out of range 0-128 for IPv6/);
  assertProblem(v, "peers[0].allowed_ips[0]", /prefix length 33 out of range 0-32 for IPv4/);
  assertProblem(v, "peers[0].allowed_ips[1]", /want a CIDR/);
});

Deno.test("an empty address list is rejected", () => {
  const v = vpsValue();
  v.interface.address = [];
  assertProblem(v, "interface.address", /at least one address/);
});

Deno.test("a single CIDR string is accepted as a one-item list", () => {
  const v = vpsValue();
  v.interface.address = "10.66.0.1/24";
  assert.deepEqual(valid(v).interface.address.map((a) => a.text), ["10.66.0.1/24"]);
});

Deno.test("ports out of range are rejected, listen_port included", () => {
  const v = vpsValue();
  v.interface.listen_port = 70000;
  assertProblem(v, "interface.listen_port", /70000 out of range 1-65535/);
  v.interface.listen_port = 0;
  assertProblem(v, "interface.listen_port", /0 out of range 1-65535/);
  const r = routerValue();
  r.peers[0].endpoint = "203.0.113.10:0";
  r.forwards[0].port = 65536;
  r.forwards[0].to = "192.168.1.50:99999";
  assertProblem(r, "peers[0].endpoint", /port 0 out of range 1-65535/);
  assertProblem(r, "forwards[0].port", /65536 out of range 1-65535/);
  assertProblem(r, "forwards[0].to", /port 99999 out of range 1-65535/);
});

Deno.test("forwards into 65000-65535 are reserved for the VPS itself", () => {
  const v = routerValue();
  v.forwards[0].port = 65000;
  assertProblem(v, "forwards[0].port", /ports 65000-65535 are reserved for the VPS itself/);
  v.forwards[0].port = 64999;
  assert.equal(valid(v).forwards[0].port, 64999);
});

Deno.test("forwards need an IP target, a known proto and a unique proto/port", () => {
  const v = routerValue();
  v.forwards.push({ proto: "tcp", port: 9987, to: "192.168.1.51:22" });
  v.forwards.push({ proto: "sctp", port: 1, to: "nas.lan:80" });
  v.forwards.push({ port: 2 });
  assertProblem(v, "forwards[1].port", /tcp\/9987 is already forwarded by forwards\[0\]/);
  assertProblem(v, "forwards[2].proto", /want one of tcp \| udp, got "sctp"/);
  assertProblem(v, "forwards[2].to", /want an IP address, not a host name/);
  assertProblem(v, "forwards[3].proto", /missing/);
  assertProblem(v, "forwards[3].to", /missing/);
});

Deno.test("persistent_keepalive accepts 0-65535", () => {
  const v = routerValue();
  v.peers[0].persistent_keepalive = 65535;
  assert.equal(valid(v).peers[0].persistentKeepalive, 65535);
  v.peers[0].persistent_keepalive = -1;
  assertProblem(v, "peers[0].persistent_keepalive", /-1 out of range 0-65535/);
  v.peers[0].persistent_keepalive = 2.5;
  assertProblem(v, "peers[0].persistent_keepalive", /want a whole number/);
});

Deno.test("a numeric mtu must be 1280-9000", () => {
  const v = routerValue();
  v.interface.mtu = 1279;
  assertProblem(v, "interface.mtu", /1279 out of range 1280-9000/);
  v.interface.mtu = 9001;
  assertProblem(v, "interface.mtu", /9001 out of range 1280-9000/);
  v.interface.mtu = "big";
  assertProblem(v, "interface.mtu", /want auto or a number 1280-9000, got "big"/);
  v.interface.mtu = 1280;
  assert.equal(valid(v).interface.effectiveMtu, 1280);
});

Deno.test("the router needs exactly one peer, with an endpoint", () => {
  const two = routerValue();
  two.peers.push({ ...two.peers[0], name: "second", public_key: encodeKey(PSK) });
  assertProblem(two, "peers", /exactly one peer \(its VPS\), got 2/);
  const none = routerValue();
  none.peers = [];
  assertProblem(none, "peers", /exactly one peer \(its VPS\), got 0/);
  const noEndpoint = routerValue();
  delete noEndpoint.peers[0].endpoint;
  assertProblem(noEndpoint, "peers[0].endpoint", /missing: the router must know/);
});

Deno.test("the router accepts host-name and IPv6 endpoints", () => {
  const v = routerValue();
  v.peers[0].endpoint = "vps.example.net:65535";
  assert.equal(valid(v).peers[0].endpoint?.host, "vps.example.net");
  v.peers[0].endpoint = "[2001:db8::10]:65535";
  assert.equal(valid(v).peers[0].endpoint?.host, "2001:db8::10");
  v.peers[0].endpoint = "2001:db8::10:65535";
  assertProblem(v, "peers[0].endpoint", /put an IPv6 address in brackets/);
});

Deno.test("VPS peers take no endpoint and the VPS needs listen_port", () => {
  const v = vpsValue();
  v.peers[0].endpoint = "198.51.100.1:1000";
  delete v.interface.listen_port;
  assertProblem(v, "peers[0].endpoint", /only for role router/);
  assertProblem(v, "interface.listen_port", /missing: the VPS needs a fixed UDP port/);
});

Deno.test("the router takes no listen_port", () => {
  const v = routerValue();
  v.interface.listen_port = 65535;
  assertProblem(v, "interface.listen_port", /only for role vps/);
});

Deno.test("links, routing and forwards are router-only; nat is vps-only", () => {
  const v = vpsValue();
  v.links = [{ name: "a", device: "eth1" }];
  v.routing = { default_route: true };
  v.forwards = [];
  assertProblem(v, "links", /only for role router/);
  assertProblem(v, "routing", /only for role router/);
  assertProblem(v, "forwards", /only for role router/);
  const r = routerValue();
  r.nat = { public_interface: "eth0" };
  assertProblem(r, "nat", /only for role vps/);
});

Deno.test("nat needs a valid public_interface", () => {
  const v = vpsValue();
  v.nat = {};
  assertProblem(v, "nat.public_interface", /missing/);
  v.nat = { public_interface: "a-very-long-interface" };
  assertProblem(v, "nat.public_interface", /at most 15/);
});

Deno.test("duplicate link names are rejected", () => {
  const v = routerValue();
  v.links[1].name = "dsl";
  assertProblem(v, "links[1].name", /duplicate link name "dsl" \(also links\[0\]\)/);
});

Deno.test("a link needs a name and a device or source; the source must be an IP", () => {
  const v = routerValue();
  v.links.push({ weight: 2 });
  v.links.push({ name: "x", source: "192.168.1.256" });
  v.links.push({ name: "y", device: "a/b" });
  assertProblem(v, "links[2].name", /missing/);
  assertProblem(v, "links[2].device", /needs a device, a source address, or both/);
  assertProblem(v, "links[3].source", /not an IPv4 address/);
  assertProblem(v, "links[4].device", /must not contain/);
});

Deno.test("an empty links list is rejected rather than read as the default", () => {
  const v = routerValue();
  v.links = [];
  assertProblem(v, "links", /empty list/);
});

Deno.test("duplicate peer names and public keys on the VPS are rejected", () => {
  const v = vpsValue();
  v.peers.push({ ...v.peers[0], allowed_ips: ["10.66.0.3/32"] });
  assertProblem(v, "peers[1].name", /"home" already used by peers\[0\]/);
  assertProblem(v, "peers[1].public_key", /same public key as peers\[0\]/);
});

Deno.test("enumerations list the accepted values", () => {
  const v = vpsValue();
  v.crypto = { backend: "wolfssl" };
  v.log = { level: "trace" };
  assertProblem(v, "crypto.backend", /want one of auto \| openssl \| libsodium \| noble/);
  assertProblem(v, "log.level", /want one of error \| warn \| info \| debug, got "trace"/);
});

Deno.test("scheduler.tcp takes mptcp or packet, nothing else", () => {
  const v = routerValue();
  v.scheduler.tcp = "packet";
  assert.equal(valid(v).scheduler.tcp, "packet");
  v.scheduler.tcp = "split";
  assert.ok(
    configProblems(v).some((p) => p.startsWith("scheduler.tcp: want one of mptcp | packet")),
  );
});
