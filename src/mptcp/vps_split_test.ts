import assert from "node:assert/strict";
import { Endpoint } from "../protocol/endpoint.ts";
import { forbiddenDestination } from "./vps_split.ts";

Deno.test("the VPS's split reaches nothing a tunnel packet could not: loopback, unspecified, multicast", () => {
  const cases: [string, string | undefined][] = [
    ["198.51.100.7:443", undefined],
    ["10.66.0.1:22", undefined], // the VPS's tunnel address: reachable through the tunnel too
    ["127.0.0.1:22", "loopback"],
    ["127.8.9.10:80", "loopback"],
    ["0.0.0.0:80", "unspecified"],
    ["224.0.0.1:80", "multicast or reserved"],
    ["255.255.255.255:80", "multicast or reserved"],
    ["[2001:db8::7]:443", undefined],
    ["[::1]:22", "loopback"],
    ["[::]:22", "unspecified"],
    ["[ff02::1]:80", "multicast"],
    ["[::ffff:127.0.0.1]:22", "IPv4-mapped"],
  ];
  for (const [text, want] of cases) {
    assert.equal(forbiddenDestination(Endpoint.parse(text)), want, text);
  }
});
