import assert from "node:assert/strict";
import { decodeKey, encodeKey, publicKey } from "../protocol/keys.ts";
import { ConfigError } from "./config_error.ts";
import { parseConfigText } from "./load.ts";
import { PEER_KEY_PLACEHOLDER } from "./placeholder.ts";
import { starterConfig } from "./template.ts";
import type { Role } from "./types.ts";

const OTHER_SIDE = encodeKey(publicKey(new Uint8Array(32).fill(7)));

for (const role of ["router", "vps"] as Role[]) {
  Deno.test(`the ${role} template validates once the peer key is pasted`, () => {
    const t = starterConfig(role);
    const c = parseConfigText(t.text.replace(PEER_KEY_PLACEHOLDER, OTHER_SIDE), "bond.yaml");
    assert.equal(c.role, role);
    assert.equal(encodeKey(c.peers[0].publicKey), OTHER_SIDE);
    assert.equal(encodeKey(publicKey(c.privateKey)), t.publicKey);
  });

  Deno.test(`the ${role} template as written is rejected only for the placeholder`, () => {
    const t = starterConfig(role);
    assert.throws(() => parseConfigText(t.text, "bond.yaml"), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 1, e.problems.join("\n"));
      assert.match(
        e.problems[0],
        /^peers\[0\]\.public_key: still the placeholder: paste the other side's public key/,
      );
      return true;
    });
  });
}

Deno.test("each template carries a fresh private key", () => {
  const a = starterConfig("router");
  const b = starterConfig("router");
  assert.notEqual(a.publicKey, b.publicKey);
  const line = a.text.split("\n").find((l) => l.startsWith("private_key: "));
  assert.ok(line);
  const priv = decodeKey(line.slice("private_key: ".length));
  assert.equal(encodeKey(publicKey(priv)), a.publicKey);
});

Deno.test("a given private key is used as is", () => {
  const priv = new Uint8Array(32).fill(9);
  priv[0] &= 248;
  priv[31] = (priv[31] & 127) | 64;
  const t = starterConfig("vps", priv);
  assert.ok(t.text.includes(`private_key: ${encodeKey(priv)}`));
  assert.equal(t.publicKey, encodeKey(publicKey(priv)));
});

Deno.test("the router template's commented lan section validates once uncommented", () => {
  const t = starterConfig("router");
  const text = t.text
    .replace(PEER_KEY_PLACEHOLDER, OTHER_SIDE)
    .replace(/^# lan:$/m, "lan:")
    .replace(/^# ( {2}(interface|router_advertisements):)/gm, "$1");
  assert.match(text, /^lan:\n {2}interface: br-lan/m);
  const c = parseConfigText(text, "bond.yaml");
  assert.deepEqual(c.lan, { interface: "br-lan", routerAdvertisements: true });
});
