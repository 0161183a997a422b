import assert from "node:assert/strict";
import type { TransportAead } from "./aead.ts";
import { LibsodiumAead } from "./libsodium_aead.ts";
import { NobleAead } from "./noble_aead.ts";
import { OpenSslAead } from "./openssl_aead.ts";
import {
  AEAD_CANDIDATES,
  type AeadBackendName,
  type AeadCandidate,
  availableBackends,
  selectTransportAead,
} from "./select.ts";

const MISSING_LIBCRYPTO = {
  files: ["libcrypto-missing.so.99", "libcrypto-missing.so"],
  debianPackage: "libssl3",
  openwrtPackage: "libopenssl3",
};
const MISSING_LIBSODIUM = {
  files: ["libsodium-missing.so.99"],
  debianPackage: "libsodium23",
  openwrtPackage: "libsodium",
};

/** The real loaders, pointed at library files that do not exist. */
const WITHOUT_LIBRARIES: AeadCandidate[] = [
  {
    name: "openssl",
    // deno-lint-ignore require-await
    async load() {
      const aead = OpenSslAead.load(MISSING_LIBCRYPTO);
      return { aead, source: aead.libraryFile, close: () => aead.close() };
    },
  },
  {
    name: "libsodium",
    // deno-lint-ignore require-await
    async load() {
      const aead = LibsodiumAead.load(MISSING_LIBSODIUM);
      return { aead, source: aead.libraryFile, close: () => aead.close() };
    },
  },
  {
    name: "noble",
    load: () => Promise.resolve({ aead: new NobleAead(), source: "built in", close() {} }),
  },
];

function fake(name: AeadBackendName, works: boolean, log: string[]): AeadCandidate {
  return {
    name,
    // deno-lint-ignore require-await
    async load() {
      log.push(`load ${name}`);
      if (!works) throw new Error(`${name} broken`);
      const aead: TransportAead = { name, seal() {}, sealInPlace() {}, open: () => false };
      return { aead, source: `${name}.so`, close: () => log.push(`close ${name}`) };
    },
  };
}

Deno.test("auto takes the first backend that loads, in order", async () => {
  const log: string[] = [];
  const candidates = [
    fake("openssl", false, log),
    fake("libsodium", true, log),
    fake("noble", true, log),
  ];
  assert.equal((await selectTransportAead("auto", candidates)).name, "libsodium");
  assert.deepEqual(log, ["load openssl", "load libsodium"]);
});

Deno.test("auto falls back to noble when no native library is installed", async () => {
  assert.equal((await selectTransportAead("auto", WITHOUT_LIBRARIES)).name, "noble");
});

Deno.test("an unavailable explicit preference names the missing file and packages", async () => {
  await assert.rejects(
    () => selectTransportAead("openssl", WITHOUT_LIBRARIES),
    (err: Error) => {
      assert.match(err.message, /crypto backend "openssl" unavailable/);
      assert.match(err.message, /libcrypto-missing\.so\.99/);
      assert.match(err.message, /apt install libssl3/);
      assert.match(err.message, /opkg install libopenssl3/);
      return true;
    },
  );
  await assert.rejects(
    () => selectTransportAead("libsodium", WITHOUT_LIBRARIES),
    /libsodium-missing\.so\.99.*apt install libsodium23.*opkg install libsodium\)/,
  );
});

Deno.test("an explicit preference is never replaced by another backend", async () => {
  const log: string[] = [];
  const candidates = [fake("openssl", false, log), fake("noble", true, log)];
  await assert.rejects(() => selectTransportAead("openssl", candidates), /openssl broken/);
  assert.deepEqual(log, ["load openssl"]);
});

Deno.test("an unknown preference is a RangeError listing the choices", async () => {
  await assert.rejects(
    () => selectTransportAead("aesni" as "auto"),
    (err: Error) =>
      err instanceof RangeError && /auto, openssl, libsodium, noble/.test(err.message),
  );
});

Deno.test("availableBackends reports why a backend is missing and releases loaded ones", async () => {
  const log: string[] = [];
  const statuses = await availableBackends([fake("openssl", false, log), fake("noble", true, log)]);
  assert.deepEqual(statuses, [
    { name: "openssl", available: false, reason: "openssl broken" },
    { name: "noble", available: true, reason: "noble.so" },
  ]);
  assert.deepEqual(log, ["load openssl", "load noble", "close noble"]);
});

Deno.test("the built-in candidates are ordered fastest first and end with noble", () => {
  assert.deepEqual(AEAD_CANDIDATES.map((c) => c.name), ["openssl", "libsodium", "noble"]);
});

Deno.test({
  name: "auto selects openssl on a machine with libcrypto.so.3",
  ignore: !["/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/usr/lib/aarch64-linux-gnu/libcrypto.so.3"]
    .some((path) => {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    }),
  async fn() {
    const aead = await selectTransportAead("auto");
    assert.equal(aead.name, "openssl");
    (aead as OpenSslAead).close();
  },
});
