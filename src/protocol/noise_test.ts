import assert from "node:assert/strict";
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  deriveSessionKeys,
  Handshake,
  type StaticIdentity,
} from "./noise.ts";
import { generatePrivateKey, publicKey } from "./keys.ts";

function identity(): StaticIdentity {
  const privateKey = generatePrivateKey();
  return { privateKey, publicKey: publicKey(privateKey) };
}
const random = (b: Uint8Array) => crypto.getRandomValues(b);

function setup(pskI = new Uint8Array(32), pskR = new Uint8Array(32)) {
  const i = identity();
  const r = identity();
  const atI = { handshake: new Handshake(i, r.publicKey, pskI) };
  const atR = { handshake: new Handshake(r, i.publicKey, pskR) };
  return { i, r, atI, atR };
}

Deno.test("Noise IKpsk2 handshake derives mirrored transport keys", () => {
  const { i, r, atI, atR } = setup();
  const init = createInitiation(i, atI.handshake, 111, 1_700_000_000_000, random)!;
  assert.equal(init.length, 148);
  const found = consumeInitiation(
    r,
    init,
    0,
    (k) => k.every((b, n) => b === i.publicKey[n]) ? atR : undefined,
  );
  assert.equal(found, atR);
  assert.equal(atR.handshake.remoteIndex, 111);
  const resp = createResponse(atR.handshake, 222, random)!;
  assert.equal(resp.length, 92);
  const rKeys = deriveSessionKeys(atR.handshake)!;
  assert.equal(consumeResponse(i, resp, (idx) => idx === 111 ? atI : undefined), atI);
  const iKeys = deriveSessionKeys(atI.handshake)!;
  assert.deepEqual(iKeys.sendKey, rKeys.receiveKey);
  assert.deepEqual(iKeys.receiveKey, rKeys.sendKey);
  assert.notDeepEqual(iKeys.sendKey, iKeys.receiveKey);
  assert.equal(iKeys.isInitiator, true);
  assert.equal(rKeys.isInitiator, false);
  assert.equal(iKeys.remoteIndex, 222);
  assert.equal(rKeys.remoteIndex, 111);
  assert.equal(atI.handshake.state, "zeroed", "handshake secrets cleared after deriving keys");
});

Deno.test("a replayed initiation is rejected by its timestamp", () => {
  const { i, r, atI, atR } = setup();
  const init = createInitiation(i, atI.handshake, 1, 1_700_000_000_000, random)!;
  const lookup = () => atR;
  assert.equal(consumeInitiation(r, init, 0, lookup), atR);
  assert.equal(consumeInitiation(r, init, 1000, lookup), undefined, "same timestamp again");
  const newer = createInitiation(i, atI.handshake, 2, 1_700_000_001_000, random)!;
  assert.equal(consumeInitiation(r, newer, 1010, lookup), atR);
});

Deno.test("initiations from one peer faster than the flood limit are rejected", () => {
  const { i, r, atI, atR } = setup();
  const lookup = () => atR;
  const a = createInitiation(i, atI.handshake, 1, 1_700_000_000_000, random)!;
  const b = createInitiation(i, atI.handshake, 2, 1_700_000_000_100, random)!;
  assert.equal(consumeInitiation(r, a, 0, lookup), atR);
  assert.equal(consumeInitiation(r, b, 5, lookup), undefined);
});

Deno.test("a response under a different preshared key fails and leaves the initiator waiting", () => {
  const { i, r, atI, atR } = setup(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
  const init = createInitiation(i, atI.handshake, 1, 1_700_000_000_000, random)!;
  consumeInitiation(r, init, 0, () => atR);
  const resp = createResponse(atR.handshake, 2, random)!;
  assert.equal(consumeResponse(i, resp, () => atI), undefined);
  assert.equal(atI.handshake.state, "initiation-created");
});

Deno.test("a response to an index the handshake does not own is rejected", () => {
  const { i, r, atI, atR } = setup();
  const init = createInitiation(i, atI.handshake, 1, 1_700_000_000_000, random)!;
  consumeInitiation(r, init, 0, () => atR);
  atR.handshake.remoteIndex = 99; // response will name receiver 99
  const resp = createResponse(atR.handshake, 2, random)!;
  assert.equal(consumeResponse(i, resp, () => atI), undefined);
});
