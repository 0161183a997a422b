import assert from "node:assert/strict";
import { statusDocumentProblems } from "./status_document.ts";
import { formatStatus } from "./status_text.ts";
import { sampleStatus, sampleTunnel } from "./test_status.ts";
import { Endpoint } from "../protocol/endpoint.ts";

Deno.test("lan prefix: none on a router by default, null on a VPS, both valid", () => {
  const router = sampleStatus("router");
  assert.deepEqual(router.lan_prefix, {
    state: "none",
    prefix: null,
    interface: null,
    advertising: false,
    reason: null,
  });
  assert.match(formatStatus(router), /^lan ipv6 +none$/m);
  const vps = sampleStatus("vps");
  assert.equal(vps.lan_prefix, null);
  assert.doesNotMatch(formatStatus(vps), /lan ipv6/);
  for (const doc of [router, vps]) assert.deepEqual(statusDocumentProblems(doc), []);
});

Deno.test("lan prefix: received, applied and advertising, failed, in text and JSON", () => {
  const cases = [
    [
      { state: "received", prefix: "2001:db8:100::/64", interface: null, advertising: false },
      /^lan ipv6 +2001:db8:100::\/64 received$/m,
    ],
    [
      { state: "applied", prefix: "2001:db8:100::/64", interface: "br-lan", advertising: true },
      /^lan ipv6 +2001:db8:100::\/64 applied on br-lan, advertising$/m,
    ],
    [
      { state: "applied", prefix: "2001:db8:100::/64", interface: "br-lan", advertising: false },
      /^lan ipv6 +2001:db8:100::\/64 applied on br-lan$/m,
    ],
    [
      { state: "failed", prefix: "2001:db8:100::/64", interface: "br-lan", advertising: false },
      /^lan ipv6 +2001:db8:100::\/64 failed: no such device$/m,
    ],
  ] as const;
  for (const [fields, line] of cases) {
    const lanPrefix = {
      ...fields,
      reason: fields.state === "failed" ? "no such device" : null,
    };
    const doc = sampleStatus("router", { lanPrefix });
    assert.deepEqual(doc.lan_prefix, lanPrefix);
    assert.match(formatStatus(doc), line);
    assert.deepEqual(statusDocumentProblems(JSON.parse(JSON.stringify(doc))), []);
  }
  // deno-lint-ignore no-explicit-any
  const bad: any = JSON.parse(JSON.stringify(sampleStatus("router")));
  bad.lan_prefix.state = "maybe";
  bad.lan_prefix.advertising = "yes";
  assert.deepEqual(statusDocumentProblems(bad), [
    "lan_prefix.state: want none | received | applied | failed",
    "lan_prefix.advertising: want true or false",
  ]);
  delete bad.lan_prefix;
  assert.deepEqual(statusDocumentProblems(bad), ["lan_prefix: missing"]);
});

Deno.test("router forwards the VPS refused show as refused with the reason", () => {
  // The router fixture forwards tcp/9987 to 192.168.1.50:9987.
  const reason = 'tcp/9987 -> 192.168.1.50:9987: tcp/9987 (IPv4) is already forwarded to peer "x"';
  const tunnel = sampleTunnel({
    forwardPush: {
      generation: 4,
      acked: true,
      refused: [{ proto: "tcp", port: 9987, to: Endpoint.parse("192.168.1.50:9987"), reason }],
    },
    counters: { forwardSyncsSent: 1 },
  });
  const doc = sampleStatus("router", { tunnel });
  assert.deepEqual(doc.forwards.map((f) => [f.port, f.state, f.reason]), [
    [9987, "refused", reason],
  ]);
  assert.match(formatStatus(doc), /^tcp +9987 +192\.168\.1\.50:9987 +refused: tcp\/9987 -> /m);
  assert.deepEqual(statusDocumentProblems(doc), []);
  // Another target on the same port is not the refused one.
  const other = sampleTunnel({
    forwardPush: {
      generation: 4,
      acked: true,
      refused: [{ proto: "tcp", port: 9987, to: Endpoint.parse("192.168.1.51:9987"), reason }],
    },
    counters: { forwardSyncsSent: 1 },
  });
  assert.deepEqual(sampleStatus("router", { tunnel: other }).forwards.map((f) => f.state), [
    "acknowledged",
  ]);
});
