import assert from "node:assert/strict";
import {
  buildRouterAdvertisement,
  isRouterSolicitation,
  type RouterAdvertisement,
} from "./router_advertisement.ts";
import { parseIPv6 } from "../net/ip_address.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");

const RA: RouterAdvertisement = {
  curHopLimit: 64,
  routerLifetimeS: 1800,
  reachableTimeMs: 0,
  retransTimerMs: 0,
  prefixes: [{
    address: parseIPv6("2001:db8:100:1::"),
    prefixLength: 64,
    onLink: true,
    autonomous: true,
    validLifetimeS: 3600,
    preferredLifetimeS: 1800,
  }],
  mtu: 1420,
};

Deno.test("router advertisement: header, prefix information and MTU option byte for byte", () => {
  // Hand-assembled from RFC 4861 4.2 (RA), 4.6.2 (Prefix Information), 4.6.4 (MTU).
  const want = [
    // type 134, code 0, checksum 0 (the kernel fills it in)
    "86 00 00 00",
    // cur hop limit 64, M=0 O=0, router lifetime 1800 (0x0708)
    "40 00 07 08",
    // reachable time 0, retrans timer 0
    "00 00 00 00",
    "00 00 00 00",
    // PIO: type 3, length 4 (32 bytes), prefix length 64, L=1 A=1 (0xc0)
    "03 04 40 c0",
    // valid lifetime 3600 (0x0e10), preferred lifetime 1800 (0x0708), reserved2
    "00 00 0e 10",
    "00 00 07 08",
    "00 00 00 00",
    // prefix 2001:db8:100:1::
    "20 01 0d b8 01 00 00 01 00 00 00 00 00 00 00 00",
    // MTU: type 5, length 1, reserved, MTU 1420 (0x058c)
    "05 01 00 00",
    "00 00 05 8c",
  ].join(" ");
  assert.equal(hex(buildRouterAdvertisement(RA)), want);
});

Deno.test("router advertisement: the goodbye (lifetime 0, prefix deprecated), no MTU option", () => {
  const bytes = buildRouterAdvertisement({
    ...RA,
    routerLifetimeS: 0,
    mtu: undefined,
    prefixes: [{ ...RA.prefixes[0], preferredLifetimeS: 0, validLifetimeS: 0 }],
  });
  assert.equal(bytes.length, 48);
  assert.equal(hex(bytes.subarray(4, 8)), "40 00 00 00");
  assert.equal(hex(bytes.subarray(16, 28)), "03 04 40 c0 00 00 00 00 00 00 00 00");
});

Deno.test("router advertisement: out-of-range fields are refused", () => {
  assert.throws(() => buildRouterAdvertisement({ ...RA, routerLifetimeS: 70000 }), /0..65535/);
  assert.throws(() => buildRouterAdvertisement({ ...RA, curHopLimit: -1 }), /curHopLimit/);
  assert.throws(
    () =>
      buildRouterAdvertisement({
        ...RA,
        prefixes: [{ ...RA.prefixes[0], preferredLifetimeS: 7200 }],
      }),
    /preferred lifetime must not exceed/,
  );
  assert.throws(
    () =>
      buildRouterAdvertisement({
        ...RA,
        prefixes: [{ ...RA.prefixes[0], address: new Uint8Array(4) }],
      }),
    /16 bytes/,
  );
});

Deno.test("router solicitation: well-formed ones are recognised, anything else is not", () => {
  const bare = Uint8Array.of(133, 0, 0x12, 0x34, 0, 0, 0, 0);
  assert.equal(isRouterSolicitation(bare), true);
  // With a Source Link-Layer Address option (type 1, length 1 = 8 bytes).
  const slla = Uint8Array.of(133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 1);
  assert.equal(isRouterSolicitation(slla), true);
  assert.equal(isRouterSolicitation(bare.subarray(0, 7)), false, "short");
  assert.equal(isRouterSolicitation(Uint8Array.of(134, 0, 0, 0, 0, 0, 0, 0)), false, "an RA");
  assert.equal(isRouterSolicitation(Uint8Array.of(133, 1, 0, 0, 0, 0, 0, 0)), false, "code 1");
  const zeroLength = slla.slice();
  zeroLength[9] = 0;
  assert.equal(isRouterSolicitation(zeroLength), false, "an option of length 0");
  const overrun = slla.slice();
  overrun[9] = 2;
  assert.equal(isRouterSolicitation(overrun), false, "an option past the end");
  assert.equal(isRouterSolicitation(slla.subarray(0, 9)), false, "half an option header");
});
