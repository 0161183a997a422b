import assert from "node:assert/strict";
import { parse } from "yaml";
import { linkNamesIn, setLinkRates } from "./link_rates_writer.ts";

const FILE = `# bond: router side
role: router   # the role, aligned comment

links:
  # the fast one
  - name: dsl
    device: eth1                 # bound with SO_BINDTODEVICE
    down_mbps: 150               # seed: measured 2024
    # upload comes next
    up_mbps: 30
  - name: lte
    device: wwan0                # mobile
  - {name: sat, device: sat0}
  # trailing comment inside the list

log:
  level: info                    # error | warn | info | debug
`;

function lines(text: string): string[] {
  return text.split("\n");
}

Deno.test("existing rates are replaced in place; every other byte is kept", () => {
  const out = setLinkRates(FILE, "dsl", { downMbps: 212.345, upMbps: 41 });
  const expected = FILE
    .replace("down_mbps: 150               # seed", "down_mbps: 212.3               # seed")
    .replace("up_mbps: 30", "up_mbps: 41");
  assert.equal(out, expected);
  const links = parse(out).links;
  assert.equal(links[0].down_mbps, 212.3);
  assert.equal(links[0].up_mbps, 41);
});

Deno.test("missing rates are added under the link with its indentation, comments kept", () => {
  const out = setLinkRates(FILE, "lte", { downMbps: 48.06, upMbps: 9.94 });
  assert.equal(
    out,
    FILE.replace(
      "    device: wwan0                # mobile\n",
      "    device: wwan0                # mobile\n    down_mbps: 48.1\n    up_mbps: 9.9\n",
    ),
  );
  const links = parse(out).links;
  assert.deepEqual(links[1], { name: "lte", device: "wwan0", down_mbps: 48.1, up_mbps: 9.9 });
  // Every comment line of the original is still there, in order.
  const comments = (t: string) => lines(t).filter((l) => l.includes("#"));
  assert.deepEqual(comments(out), comments(FILE));
});

Deno.test("a link written as a flow mapping gets the keys inside its braces", () => {
  const out = setLinkRates(FILE, "sat", { downMbps: 100, upMbps: 10 });
  assert.ok(out.includes("  - {name: sat, device: sat0, down_mbps: 100, up_mbps: 10}\n"), out);
  assert.deepEqual(parse(out).links[2], {
    name: "sat",
    device: "sat0",
    down_mbps: 100,
    up_mbps: 10,
  });
});

Deno.test("writing twice is the same as writing once (the round trip is stable)", () => {
  const once = setLinkRates(FILE, "lte", { downMbps: 50, upMbps: 5 });
  const twice = setLinkRates(once, "lte", { downMbps: 50, upMbps: 5 });
  assert.equal(twice, once);
  const back = setLinkRates(
    setLinkRates(FILE, "dsl", { downMbps: 1, upMbps: 2 }),
    "dsl",
    { downMbps: 150, upMbps: 30 },
  );
  assert.equal(back, FILE);
});

Deno.test("the last link of a file without a trailing newline gets its rates", () => {
  const text = "links:\n  - name: only\n    device: eth0";
  const out = setLinkRates(text, "only", { downMbps: 20, upMbps: 3 });
  assert.equal(out, "links:\n  - name: only\n    device: eth0\n    down_mbps: 20\n    up_mbps: 3");
});

Deno.test("an unknown link or a file without links is a clear error", () => {
  assert.throws(
    () => setLinkRates(FILE, "cable", { downMbps: 1, upMbps: 1 }),
    /no link named "cable" \(links: dsl, lte, sat\)/,
  );
  assert.throws(
    () => setLinkRates("role: router\n", "dsl", { downMbps: 1, upMbps: 1 }),
    /no link named "dsl": the file has no links list/,
  );
  assert.deepEqual(linkNamesIn(FILE), ["dsl", "lte", "sat"]);
  assert.deepEqual(linkNamesIn("role: vps\n"), []);
});

Deno.test("rates that are not positive numbers are refused", () => {
  assert.throws(() => setLinkRates(FILE, "dsl", { downMbps: 0, upMbps: 1 }), /not a rate: 0/);
  assert.throws(() => setLinkRates(FILE, "dsl", { downMbps: NaN, upMbps: 1 }), /not a rate/);
});
