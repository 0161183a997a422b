import assert from "node:assert/strict";
import { Endpoint } from "../protocol/endpoint.ts";
import { decodeSplitHeader, encodeSplitHeader, SPLIT_HEADER_MAX } from "./split_header.ts";

Deno.test("split header: IPv4 and IPv6 destinations round-trip, with the data behind them", () => {
  for (const text of ["198.51.100.7:443", "[2001:db8::7]:8080"]) {
    const header = encodeSplitHeader(Endpoint.parse(text));
    assert.ok(header.length <= SPLIT_HEADER_MAX);
    const withData = new Uint8Array(header.length + 3);
    withData.set(header);
    withData.set([1, 2, 3], header.length);
    const out = decodeSplitHeader(withData);
    assert.equal(out.state, "done");
    if (out.state !== "done") return;
    assert.equal(out.destination.toString(), text);
    assert.equal(out.length, header.length);
  }
});

Deno.test("split header: every prefix of a header is partial, never bad", () => {
  const header = encodeSplitHeader(Endpoint.parse("[2001:db8::7]:8080"));
  for (let n = 0; n < header.length; n++) {
    assert.equal(decodeSplitHeader(header.subarray(0, n)).state, "partial", `${n} bytes`);
  }
});

Deno.test("split header: wrong magic, version, family or port 0 is refused", () => {
  const good = encodeSplitHeader(Endpoint.parse("198.51.100.7:443"));
  const cases: [number, number, RegExp][] = [
    [0, 0x47, /not a split header/],
    [4, 2, /version 2/],
    [5, 5, /family 5/],
    [6, 0, /port 0/],
  ];
  for (const [at, value, reason] of cases) {
    const b = good.slice();
    b[at] = value;
    if (at === 6) b[7] = 0;
    const out = decodeSplitHeader(b);
    assert.equal(out.state, "bad");
    if (out.state === "bad") assert.match(out.reason, reason);
  }
  // An HTTP request is not a header, and says so from its first byte.
  assert.equal(decodeSplitHeader(new TextEncoder().encode("G")).state, "bad");
});
