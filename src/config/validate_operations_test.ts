import assert from "node:assert/strict";
import { parseConfigText } from "./load.ts";
import { PEER_KEY_PLACEHOLDER } from "./placeholder.ts";
import { starterConfig } from "./template.ts";
import { routerValue, vpsValue, type Yamlish } from "./test_fixtures.ts";
import { validateConfig } from "./validate.ts";
import { encodeKey, publicKey } from "../protocol/keys.ts";

const baseDir = Deno.cwd();

function check(value: Yamlish) {
  return validateConfig(value, { baseDir });
}

function problems(value: Yamlish): string[] {
  const r = check(value);
  assert.equal(r.ok, false, "expected validation to fail");
  return r.ok ? [] : r.problems;
}

Deno.test("control.socket defaults to /run/bond/<interface>.sock", () => {
  const v = routerValue();
  v.interface.name = "wan9";
  const r = check(v);
  assert.ok(r.ok);
  assert.equal(r.config.control.socket, "/run/bond/wan9.sock");
});

Deno.test("control.socket takes an absolute path that fits a Unix socket address", () => {
  const v = vpsValue();
  v.control = { socket: "/var/run/custom/bond.sock" };
  const r = check(v);
  assert.ok(r.ok);
  assert.equal(r.config.control.socket, "/var/run/custom/bond.sock");

  v.control = { socket: "relative.sock" };
  assert.match(problems(v).join("\n"), /^control\.socket: want an absolute path/m);
  v.control = { socket: "/" + "x".repeat(120) };
  assert.match(problems(v).join("\n"), /^control\.socket: 121 bytes long, .* at most 107/m);
  v.control = { sockt: "/x" };
  assert.match(problems(v).join("\n"), /^control\.sockt: unknown key \(did you mean "socket"\?\)/m);
});

Deno.test("metrics are off unless metrics.listen is given", () => {
  const r = check(routerValue());
  assert.ok(r.ok);
  assert.deepEqual(r.config.metrics, {});
});

Deno.test("metrics.listen accepts loopback IPv4 and IPv6 addresses with a port", () => {
  for (
    const [text, host, port] of [
      ["127.0.0.1:9586", "127.0.0.1", 9586],
      ["127.8.9.10:1", "127.8.9.10", 1],
      ["[::1]:9586", "::1", 9586],
    ] as const
  ) {
    const v = vpsValue();
    v.metrics = { listen: text };
    const r = check(v);
    if (!r.ok) assert.fail(r.problems.join("\n"));
    assert.deepEqual(r.config.metrics.listen, { host, port });
  }
});

Deno.test("metrics.listen refuses non-loopback addresses, names and bad ports", () => {
  const cases: [string, RegExp][] = [
    ["0.0.0.0:9586", /0\.0\.0\.0 is not a loopback address/],
    ["10.66.0.1:9586", /10\.66\.0\.1 is not a loopback address/],
    ["[::]:9586", /:: is not a loopback address/],
    ["localhost:9586", /want an IP address, not a host name/],
    ["127.0.0.1", /missing :port/],
    ["127.0.0.1:70000", /port 70000 out of range/],
  ];
  for (const [text, reason] of cases) {
    const v = routerValue();
    v.metrics = { listen: text };
    const p = problems(v);
    assert.ok(
      p.some((line) => line.startsWith("metrics.listen: ") && reason.test(line)),
      `${text}: ${p.join("\n")}`,
    );
  }
});

Deno.test("the starter templates show metrics and control as commented examples that validate", () => {
  const other = encodeKey(publicKey(new Uint8Array(32).fill(5)));
  for (const role of ["router", "vps"] as const) {
    const text = starterConfig(role).text.replace(PEER_KEY_PLACEHOLDER, other);
    assert.match(text, /^# metrics:\n# {3}listen: 127\.0\.0\.1:9586$/m);
    assert.match(text, /^# control:\n# {3}socket: \/run\/bond\/bnd0\.sock$/m);
    const uncommented = text
      .replace("# metrics:\n#   listen:", "metrics:\n  listen:")
      .replace("# control:\n#   socket:", "control:\n  socket:");
    const c = parseConfigText(uncommented, "bond.yaml");
    assert.deepEqual(c.metrics.listen, { host: "127.0.0.1", port: 9586 });
    assert.equal(c.control.socket, "/run/bond/bnd0.sock");
  }
});
