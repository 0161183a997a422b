/**
 * Every transport AEAD backend against published vectors (RFC 8439 §2.8.2 and A.5, through the
 * nonce+AAD entry point), fixed WireGuard-layout vectors, and @noble/ciphers' own AEAD object
 * as an independent reference for random keys, counters and lengths.
 */
import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import type { TransportAead } from "./aead.ts";
import { LibsodiumAead } from "./libsodium_aead.ts";
import { NobleAead } from "./noble_aead.ts";
import { OpenSslAead } from "./openssl_aead.ts";
import { type RawAead, RFC8439_AEAD_VECTOR } from "./rfc8439_self_check.ts";

/** FFI backends also have close(); noble holds nothing to release. */
type Backend = TransportAead & RawAead & { close?(): void };

function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from(
    { length: clean.length / 2 },
    (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16),
  );
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** WireGuard's nonce built independently of the backends: 4 zero bytes, counter u64 LE. */
function referenceNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
  return nonce;
}

function referenceSeal(key: Uint8Array, counter: number, plain: Uint8Array): Uint8Array {
  return chacha20poly1305(key, referenceNonce(counter)).encrypt(plain);
}

/** RFC 8439 appendix A.5 (AEAD decryption example). */
const RFC8439_A5 = {
  key: hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"),
  nonce: hex("000000000102030405060708"),
  aad: hex("f33388860000000000004e91"),
  ciphertext: hex(
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2" +
      "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf" +
      "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
      "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4" +
      "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e" +
      "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
      "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10" +
      "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29" +
      "a6ad5cb4022b02709b",
  ),
  tag: hex("eead9d67890cbb22392336fea1851f38"),
  plaintext: new TextEncoder().encode(
    "Internet-Drafts are draft documents valid for a maximum of six months and may be " +
      "updated, replaced, or obsoleted by other documents at any time. It is inappropriate to " +
      "use Internet-Drafts as reference material or to cite them other than as /\u201cwork in " +
      "progress./\u201d",
  ),
};

/** Key 00..1f under WireGuard's nonce layout; computed with Python's `cryptography` package. */
const WIREGUARD_LAYOUT_VECTORS = [
  { counter: 0, plaintext: new Uint8Array(0), sealed: "10324f800a160bd9a1794255be7ec29d" },
  {
    counter: 0x1_0000_0005,
    plaintext: Uint8Array.from({ length: 64 }, (_, i) => i),
    sealed: "0a61e80e9e777e99dda4ddda3dad49009deffebbf160c066034196501ddf7625" +
      "772e1630feb22d430089f2109a4968df64816bc530e76a8b383a72780e0bfcc7" +
      "8b92393cafc11d3fdca4667f84ffeee3",
  },
];

/** Lengths around block (64) and Poly1305 (16) boundaries plus a full-size packet. */
const EDGE_LENGTHS = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 1400, 1500];

function tryLoad(load: () => Backend): Backend | null {
  try {
    return load();
  } catch {
    return null;
  }
}

const BACKENDS: { name: string; load: () => Backend | null; ffi: boolean }[] = [
  { name: "openssl", load: () => tryLoad(() => OpenSslAead.load()), ffi: true },
  { name: "libsodium", load: () => tryLoad(() => LibsodiumAead.load()), ffi: true },
  { name: "noble", load: () => new NobleAead(), ffi: false },
];

Deno.test("RFC 8439 §2.8.2 constants agree with @noble/ciphers", () => {
  const v = RFC8439_AEAD_VECTOR;
  const sealed = chacha20poly1305(v.key, v.nonce, v.aad).encrypt(v.plaintext);
  assert.equal(toHex(sealed), toHex(v.ciphertext) + toHex(v.tag));
});

for (const { name, load, ffi } of BACKENDS) {
  const backend = load();
  const ignore = backend === null;
  const t = (title: string, fn: (b: Backend) => void) =>
    Deno.test({ name: `${name}: ${title}`, ignore, fn: () => fn(backend!) });

  t("seals and opens the RFC 8439 §2.8.2 vector", (b) => {
    const v = RFC8439_AEAD_VECTOR;
    const sealed = new Uint8Array(v.plaintext.length + 16);
    b.sealRaw(v.key, v.nonce, v.aad, v.plaintext, sealed);
    assert.equal(toHex(sealed), toHex(v.ciphertext) + toHex(v.tag));
    const opened = new Uint8Array(v.plaintext.length);
    assert.equal(b.openRaw(v.key, v.nonce, v.aad, sealed, opened), true);
    assert.deepEqual(opened, v.plaintext);
  });

  t("opens the RFC 8439 A.5 vector and rejects it under other additional data", (b) => {
    const v = RFC8439_A5;
    const sealed = new Uint8Array([...v.ciphertext, ...v.tag]);
    const opened = new Uint8Array(v.ciphertext.length);
    assert.equal(b.openRaw(v.key, v.nonce, v.aad, sealed, opened), true);
    assert.deepEqual(opened, v.plaintext);
    const otherAad = v.aad.slice();
    otherAad[0] ^= 0x80;
    assert.equal(b.openRaw(v.key, v.nonce, otherAad, sealed, opened), false);
  });

  t("seals the fixed WireGuard-layout vectors, including a counter above 2^32", (b) => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    for (const v of WIREGUARD_LAYOUT_VECTORS) {
      const sealed = new Uint8Array(v.plaintext.length + 16);
      b.seal(key, v.counter, v.plaintext, sealed);
      assert.equal(toHex(sealed), v.sealed, `counter ${v.counter}`);
      const opened = new Uint8Array(v.plaintext.length);
      assert.equal(b.open(key, v.counter, sealed, opened), true);
      assert.deepEqual(opened, v.plaintext);
    }
  });

  t("matches @noble/ciphers for random keys, counters and lengths 0..1500", (b) => {
    const lengths = [...EDGE_LENGTHS];
    for (let i = 0; i < 150; i++) lengths.push(Math.floor(Math.random() * 1501));
    for (const length of lengths) {
      const key = crypto.getRandomValues(new Uint8Array(32));
      // Uniform over 0..2^53-1, so most counters use the high nonce word.
      const counter = Math.floor(Math.random() * 2 ** 21) * 2 ** 32 +
        Math.floor(Math.random() * 2 ** 32);
      const plain = crypto.getRandomValues(new Uint8Array(length));
      const sealed = new Uint8Array(length + 16);
      b.seal(key, counter, plain, sealed);
      assert.equal(toHex(sealed), toHex(referenceSeal(key, counter, plain)), `len ${length}`);
      const opened = new Uint8Array(length);
      assert.equal(b.open(key, counter, sealed, opened), true, `len ${length}`);
      assert.deepEqual(opened, plain);
    }
  });

  t("open returns false for a tampered tag, ciphertext, counter or key", (b) => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const plain = crypto.getRandomValues(new Uint8Array(300));
    const sealed = new Uint8Array(316);
    b.seal(key, 42, plain, sealed);
    const out = new Uint8Array(300);
    for (const at of [0, 150, 299, 300, 315]) {
      const bad = sealed.slice();
      bad[at] ^= 0x01;
      assert.equal(b.open(key, 42, bad, out), false, `flipped byte ${at}`);
    }
    assert.equal(b.open(key, 43, sealed, out), false, "wrong counter");
    assert.equal(b.open(key, 42 + 2 ** 32, sealed, out), false, "counter differs above 2^32");
    const otherKey = key.slice();
    otherKey[31] ^= 0x40;
    assert.equal(b.open(otherKey, 42, sealed, out), false, "wrong key");
    assert.equal(b.open(key, 42, sealed, out), true, "the untouched packet still opens");
  });

  t("uses the key it is given: keys alternate and a key array changed in place", (b) => {
    const a = crypto.getRandomValues(new Uint8Array(32));
    const other = crypto.getRandomValues(new Uint8Array(32));
    const plain = crypto.getRandomValues(new Uint8Array(200));
    const sealed = new Uint8Array(216);
    const opened = new Uint8Array(200);
    for (const [key, counter] of [[a, 1], [other, 2], [a, 3], [a, 4], [other, 5]] as const) {
      b.seal(key, counter, plain, sealed);
      assert.equal(toHex(sealed), toHex(referenceSeal(key, counter, plain)), `seal ${counter}`);
      assert.equal(b.open(key, counter, sealed, opened), true, `open ${counter}`);
    }
    const before = a.slice();
    a[0] ^= 1;
    b.seal(a, 6, plain, sealed);
    assert.equal(toHex(sealed), toHex(referenceSeal(a, 6, plain)), "seal after a change in place");
    assert.equal(b.open(a, 6, sealed, opened), true, "open after a change in place");
    assert.equal(b.open(before, 6, sealed, opened), false, "the old key no longer opens it");
  });

  t("open returns false for a packet shorter than a tag", (b) => {
    const key = new Uint8Array(32);
    for (const length of [0, 1, 15]) {
      assert.equal(b.open(key, 0, new Uint8Array(length), new Uint8Array(16)), false);
    }
  });

  t("seals and opens in place inside a larger buffer at an offset", (b) => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const headroom = 16;
    for (const length of [0, 1, 64, 1400]) {
      const plain = crypto.getRandomValues(new Uint8Array(length));
      const buffer = new Uint8Array(headroom + length + 16 + 8).fill(0xee);
      buffer.set(plain, headroom);
      const region = buffer.subarray(headroom, headroom + length + 16);
      b.seal(key, 9, region.subarray(0, length), region);
      assert.equal(toHex(region), toHex(referenceSeal(key, 9, plain)), `len ${length}`);
      assert.ok(buffer.subarray(0, headroom).every((x) => x === 0xee), "headroom untouched");
      assert.ok(buffer.subarray(headroom + length + 16).every((x) => x === 0xee), "tail kept");
      assert.equal(b.open(key, 9, region, region.subarray(0, length)), true);
      assert.deepEqual(region.subarray(0, length), plain);
    }
  });

  t(
    "sealInPlace seals the first bytes of a longer buffer, the tag after them, nothing more",
    (b) => {
      const key = crypto.getRandomValues(new Uint8Array(32));
      for (const length of [0, 1, 64, 1400]) {
        const plain = crypto.getRandomValues(new Uint8Array(length));
        const buffer = new Uint8Array(length + 16 + 40).fill(0xee);
        buffer.set(plain);
        // A raw call with a nonce whose first bytes are not zero comes first: the transport
        // nonce must not keep them.
        b.sealRaw(
          key,
          new Uint8Array(12).fill(0xff),
          new Uint8Array(0),
          plain,
          new Uint8Array(length + 16),
        );
        b.sealInPlace(key, 2 ** 32 + 7, buffer, length);
        assert.equal(
          toHex(buffer.subarray(0, length + 16)),
          toHex(referenceSeal(key, 2 ** 32 + 7, plain)),
          `len ${length}`,
        );
        assert.ok(buffer.subarray(length + 16).every((x) => x === 0xee), "the rest untouched");
        // open writes only the plaintext's bytes into a longer destination.
        const opened = new Uint8Array(length + 40).fill(0xdd);
        assert.equal(b.open(key, 2 ** 32 + 7, buffer.subarray(0, length + 16), opened), true);
        assert.deepEqual(opened.subarray(0, length), plain);
        assert.ok(opened.subarray(length).every((x) => x === 0xdd), "open's tail untouched");
      }
    },
  );

  if (ffi) {
    t("refuses buffers the C side would overrun", (b) => {
      const key = new Uint8Array(32);
      assert.throws(() => b.seal(key, 0, new Uint8Array(10), new Uint8Array(25)), RangeError);
      assert.throws(() => b.seal(new Uint8Array(16), 0, new Uint8Array(0), new Uint8Array(16)));
      assert.throws(() => b.open(key, 0, new Uint8Array(40), new Uint8Array(23)), RangeError);
      assert.throws(() => b.sealInPlace(key, 0, new Uint8Array(40), 25), RangeError);
    });

    t("close is idempotent and a closed backend refuses work instead of crashing", (b) => {
      const fresh = load()!;
      assert.ok(fresh.close);
      fresh.close();
      fresh.close();
      assert.throws(
        () => fresh.seal(new Uint8Array(32), 0, new Uint8Array(0), new Uint8Array(16)),
        /closed=true/,
      );
      // The shared instance is unaffected by another instance's close.
      b.seal(new Uint8Array(32), 0, new Uint8Array(0), new Uint8Array(16));
    });
  }
}
