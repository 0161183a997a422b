import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { NobleAead } from "./noble_aead.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const SUNSCREEN = new TextEncoder().encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);

Deno.test("noble AEAD seals the RFC 8439 section 2.8.2 vector", () => {
  const aead = new NobleAead();
  const key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const nonce = hex("070000004041424344454647");
  const aad = hex("50515253c0c1c2c3c4c5c6c7");
  const out = new Uint8Array(SUNSCREEN.length + 16);
  aead.sealRaw(key, nonce, aad, SUNSCREEN, out);
  assert.equal(
    toHex(out),
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
      "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691",
  );
  const back = new Uint8Array(SUNSCREEN.length);
  assert.equal(aead.openRaw(key, nonce, aad, out, back), true);
  assert.deepEqual(back, SUNSCREEN);
});

Deno.test("noble AEAD opens the RFC 8439 appendix A.5 vector and rejects a flipped bit", () => {
  const aead = new NobleAead();
  const key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
  const nonce = hex("000000000102030405060708");
  const aad = hex("f33388860000000000004e91");
  const sealed = hex(
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2" +
      "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf" +
      "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
      "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4" +
      "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e" +
      "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
      "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10" +
      "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29" +
      "a6ad5cb4022b02709b" + "eead9d67890cbb22392336fea1851f38",
  );
  const plain = new Uint8Array(sealed.length - 16);
  assert.equal(aead.openRaw(key, nonce, aad, sealed, plain), true);
  const text = new TextDecoder().decode(plain);
  assert.ok(
    text.startsWith("Internet-Drafts are draft documents valid for a maximum of six months"),
  );
  assert.ok(text.endsWith("/\u201cwork in progress./\u201d"));
  sealed[10] ^= 1;
  assert.equal(aead.openRaw(key, nonce, aad, sealed, plain), false);
});

Deno.test("noble transport seal equals RFC 8439 AEAD with nonce 0^4 || le64(counter) and no AAD", () => {
  const aead = new NobleAead();
  const key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
  for (const counter of [0, 1, 0xffffffff, 0x100000000, 2 ** 53 - 1]) {
    const msg = new Uint8Array(77).map((_, i) => i * 7 + counter);
    const out = new Uint8Array(msg.length + 16);
    aead.seal(key, counter, msg, out);
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
    assert.equal(
      toHex(out),
      toHex(chacha20poly1305(key, nonce).encrypt(msg)),
      `counter ${counter}`,
    );
    const back = new Uint8Array(msg.length);
    assert.equal(aead.open(key, counter, out, back), true);
    assert.deepEqual(back, msg);
    assert.equal(aead.open(key, counter + 1, out, back), false, "wrong counter must fail");
  }
});

Deno.test("noble transport AEAD works in place and on empty payloads", () => {
  const aead = new NobleAead();
  const key = new Uint8Array(32).fill(9);
  const buf = new Uint8Array(64 + 16);
  for (let i = 0; i < 64; i++) buf[i] = i;
  const expected = new Uint8Array(80);
  aead.seal(key, 5, buf.subarray(0, 64), expected);
  aead.seal(key, 5, buf.subarray(0, 64), buf);
  assert.deepEqual(buf, expected);
  assert.equal(aead.open(key, 5, buf, buf.subarray(0, 64)), true);
  for (let i = 0; i < 64; i++) assert.equal(buf[i], i);
  const tagOnly = new Uint8Array(16);
  aead.seal(key, 6, new Uint8Array(0), tagOnly);
  assert.equal(aead.open(key, 6, tagOnly, new Uint8Array(0)), true);
  assert.equal(aead.open(key, 6, new Uint8Array(15), new Uint8Array(0)), false, "too short");
});
