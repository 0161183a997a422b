import assert from "node:assert/strict";
import { NobleAead } from "./noble_aead.ts";
import { passesRfc8439SelfTest, type RawAead, requireSelfTest } from "./rfc8439_self_check.ts";

/** A backend that corrupts its output in a chosen way, for the self-test to catch. */
class FaultyAead implements RawAead {
  readonly name = "faulty";
  closed = 0;
  readonly #inner = new NobleAead();
  constructor(readonly fault: "ciphertext" | "tag" | "accepts-forgery" | "throws" | "none") {}

  sealRaw(k: Uint8Array, n: Uint8Array, a: Uint8Array, src: Uint8Array, dst: Uint8Array) {
    if (this.fault === "throws") throw new Error("symbol not callable");
    this.#inner.sealRaw(k, n, a, src, dst);
    if (this.fault === "ciphertext") dst[3] ^= 1;
    if (this.fault === "tag") dst[dst.length - 1] ^= 1;
  }

  openRaw(k: Uint8Array, n: Uint8Array, a: Uint8Array, src: Uint8Array, dst: Uint8Array) {
    const ok = this.#inner.openRaw(k, n, a, src, dst);
    return this.fault === "accepts-forgery" ? true : ok;
  }

  close() {
    this.closed++;
  }
}

Deno.test("self-test passes a correct ChaCha20-Poly1305", () => {
  assert.equal(passesRfc8439SelfTest(new NobleAead()), true);
});

Deno.test("self-test fails a backend with wrong ciphertext, wrong tag or forgery acceptance", () => {
  for (const fault of ["ciphertext", "tag", "accepts-forgery"] as const) {
    assert.equal(passesRfc8439SelfTest(new FaultyAead(fault)), false, fault);
  }
});

Deno.test("requireSelfTest rejects and releases a miscomputing backend", () => {
  for (const fault of ["tag", "throws"] as const) {
    const backend = new FaultyAead(fault);
    assert.throws(() => requireSelfTest(backend, "libfake.so.1"), /libfake\.so\.1.*self-test/);
    assert.equal(backend.closed, 1, fault);
  }
});

Deno.test("requireSelfTest hands back a correct backend unreleased", () => {
  const backend = new FaultyAead("none");
  assert.equal(requireSelfTest(backend, "libfake.so.1"), backend);
  assert.equal(backend.closed, 0);
});
