import assert from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import { dh, dhGenerate } from "./dh.ts";
import { hex, toHex } from "./test_hex.ts";

Deno.test("X25519 matches RFC 7748 section 5.2 first vector", () => {
  const scalar = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
  const u = hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
  assert.equal(
    toHex(dh(scalar, u)!),
    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
  );
});

Deno.test("X25519 matches the RFC 7748 section 6.1 key agreement", () => {
  const alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  const alicePub = x25519.getPublicKey(alice);
  const bobPub = x25519.getPublicKey(bob);
  assert.equal(toHex(alicePub), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  assert.equal(toHex(bobPub), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  assert.equal(toHex(dh(alice, bobPub)!), shared);
  assert.equal(toHex(dh(bob, alicePub)!), shared);
});

Deno.test("DH with a low-order public key fails instead of yielding zeros", () => {
  const priv = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  assert.equal(dh(priv, new Uint8Array(32)), undefined);
  const one = new Uint8Array(32);
  one[0] = 1;
  assert.equal(dh(priv, one), undefined);
});

Deno.test("DH-GENERATE draws its private key from the injected random function", () => {
  const kp = dhGenerate((b) => b.fill(7));
  assert.equal(kp.privateKey[0], 7 & 248);
  assert.equal(kp.privateKey[31], (7 & 127) | 64);
  assert.deepEqual(kp.publicKey, x25519.getPublicKey(kp.privateKey));
});
