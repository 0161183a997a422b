import assert from "node:assert/strict";
import { CookieChecker, CookieGenerator, xaeadOpen, xaeadSeal } from "./cookie.ts";
import { COOKIE_REFRESH_TIME, INITIATION_SIZE, MESSAGE_INITIATION } from "./constants.ts";
import { Endpoint } from "./endpoint.ts";
import { hex, toHex } from "./test_hex.ts";

Deno.test("XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha appendix A.3", () => {
  const key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
  const aad = hex("50515253c0c1c2c3c4c5c6c7");
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const expected = "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb" +
    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452" +
    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9" +
    "21f9664c97637da9768812f615c68b13b52e" + "c0875924c1c7987947deafd8780acf49";
  const sealed = xaeadSeal(key, nonce, plaintext, aad);
  assert.equal(toHex(sealed), expected);
  assert.deepEqual(xaeadOpen(key, nonce, sealed, aad), plaintext);
  sealed[0] ^= 1;
  assert.equal(xaeadOpen(key, nonce, sealed, aad), undefined);
});

const responderPublic = new Uint8Array(32).fill(0x42);
let counter = 0;
const random = (b: Uint8Array) => {
  for (let i = 0; i < b.length; i++) b[i] = (counter++ * 73) & 0xff;
};

function initiation(seed: number): Uint8Array {
  const m = new Uint8Array(INITIATION_SIZE);
  for (let i = 4; i < INITIATION_SIZE - 32; i++) m[i] = (i * seed) & 0xff;
  m[0] = MESSAGE_INITIATION;
  return m;
}

Deno.test("mac1 made for a responder verifies only with that responder's key", () => {
  const checker = new CookieChecker(responderPublic, random);
  const other = new CookieChecker(new Uint8Array(32).fill(1), random);
  const gen = new CookieGenerator(responderPublic);
  const msg = initiation(3);
  gen.addMacs(0, msg);
  assert.equal(checker.checkMac1(msg), true);
  assert.equal(other.checkMac1(msg), false);
  msg[50] ^= 1;
  assert.equal(checker.checkMac1(msg), false, "covers the message body");
});

Deno.test("a cookie reply gives the initiator a mac2 the responder accepts from that source only", () => {
  const checker = new CookieChecker(responderPublic, random);
  const gen = new CookieGenerator(responderPublic);
  const src = Endpoint.parse("192.0.2.5:5000");
  const msg = initiation(5);
  gen.addMacs(0, msg);
  assert.equal(checker.checkMac2(0, msg, src), false, "no cookie yet: mac2 is zero");
  const reply = checker.createReply(0, msg, 1234, src);
  assert.equal(new DataView(reply.buffer).getUint32(4, true), 1234);
  assert.equal(gen.consumeReply(10, reply), true);
  assert.equal(gen.consumeReply(10, reply), false, "one reply per sent message");
  const retry = initiation(6);
  gen.addMacs(20, retry);
  assert.equal(checker.checkMac1(retry), true);
  assert.equal(checker.checkMac2(20, retry, src), true);
  assert.equal(checker.checkMac2(20, retry, Endpoint.parse("192.0.2.5:5001")), false, "port bound");
  assert.equal(
    checker.checkMac2(20, retry, Endpoint.parse("192.0.2.6:5000")),
    false,
    "address bound",
  );
  assert.equal(
    checker.checkMac2(COOKIE_REFRESH_TIME + 1, retry, src),
    false,
    "the secret expires after COOKIE_REFRESH_TIME",
  );
});

Deno.test("a cookie reply bound to another message's mac1 is rejected", () => {
  const checker = new CookieChecker(responderPublic, random);
  const gen = new CookieGenerator(responderPublic);
  const src = Endpoint.parse("[2001:db8::1]:51820");
  const sent = initiation(7);
  gen.addMacs(0, sent);
  const foreign = initiation(8);
  new CookieGenerator(responderPublic).addMacs(0, foreign);
  const reply = checker.createReply(0, foreign, 1, src);
  assert.equal(gen.consumeReply(0, reply), false);
  assert.equal(gen.hasFreshCookie(0), false);
});

Deno.test("the initiator stops using a cookie after COOKIE_REFRESH_TIME", () => {
  const checker = new CookieChecker(responderPublic, random);
  const gen = new CookieGenerator(responderPublic);
  const src = Endpoint.parse("192.0.2.5:5000");
  const msg = initiation(9);
  gen.addMacs(0, msg);
  assert.equal(gen.consumeReply(0, checker.createReply(0, msg, 1, src)), true);
  assert.equal(gen.hasFreshCookie(COOKIE_REFRESH_TIME - 1), true);
  assert.equal(gen.hasFreshCookie(COOKIE_REFRESH_TIME), false);
  const late = initiation(10);
  gen.addMacs(COOKIE_REFRESH_TIME, late);
  assert.ok(
    late.subarray(INITIATION_SIZE - 16).every((b) => b === 0),
    "mac2 zero without a cookie",
  );
});
