import assert from "node:assert/strict";
import { parseLinkCommand } from "./link_command.ts";

Deno.test("no words or 'status' asks for status", () => {
  assert.deepEqual(parseLinkCommand([]), { kind: "status" });
  assert.deepEqual(parseLinkCommand(["status"]), { kind: "status" });
});

Deno.test("down and up alone pull and restore the link in both directions", () => {
  assert.deepEqual(parseLinkCommand(["down"]), {
    kind: "set",
    patch: { down: { down: true }, up: { down: true } },
  });
  assert.deepEqual(parseLinkCommand(["up"]), {
    kind: "set",
    patch: { down: { down: false }, up: { down: false } },
  });
});

Deno.test("a single value sets both directions, with units", () => {
  assert.deepEqual(parseLinkCommand(["delay", "80ms"]), {
    kind: "set",
    patch: { down: { delayMs: 80 }, up: { delayMs: 80 } },
  });
  assert.deepEqual(parseLinkCommand(["rate", "500kbit"]).kind, "set");
  const rate = parseLinkCommand(["rate", "1.5gbit"]);
  assert.equal(rate.kind === "set" && rate.patch.down?.rateMbps, 1500);
  const loss = parseLinkCommand(["loss", "5%"]);
  assert.equal(loss.kind === "set" && loss.patch.up?.lossPercent, 5);
  const delay = parseLinkCommand(["delay", "0.25s"]);
  assert.equal(delay.kind === "set" && delay.patch.up?.delayMs, 250);
});

Deno.test("down/up values set each direction, as ISP plans are written", () => {
  assert.deepEqual(parseLinkCommand(["rate", "40mbit/20mbit"]), {
    kind: "set",
    patch: { down: { rateMbps: 40 }, up: { rateMbps: 20 } },
  });
  assert.deepEqual(parseLinkCommand(["loss", "0/5%"]), {
    kind: "set",
    patch: { down: { lossPercent: 0 }, up: { lossPercent: 5 } },
  });
});

Deno.test("several settings in one command", () => {
  assert.deepEqual(
    parseLinkCommand(["delay", "120ms", "jitter", "20ms", "loss", "1%", "burst", "4"]),
    {
      kind: "set",
      patch: {
        down: { delayMs: 120, jitterMs: 20, lossPercent: 1, burstLength: 4 },
        up: { delayMs: 120, jitterMs: 20, lossPercent: 1, burstLength: 4 },
      },
    },
  );
});

Deno.test("queue takes a time or a size; rate takes off; reorder takes on/off", () => {
  assert.deepEqual(parseLinkCommand(["queue", "50ms"]), {
    kind: "set",
    patch: { down: { queueMs: 50, queueBytes: 0 }, up: { queueMs: 50, queueBytes: 0 } },
  });
  const size = parseLinkCommand(["queue", "64kib"]);
  assert.equal(size.kind === "set" && size.patch.down?.queueBytes, 65536);
  const off = parseLinkCommand(["rate", "off"]);
  assert.equal(off.kind === "set" && off.patch.up?.rateMbps, 0);
  const reorder = parseLinkCommand(["reorder", "on"]);
  assert.equal(reorder.kind === "set" && reorder.patch.down?.reorder, true);
});

Deno.test("mistakes are refused with the word that was wrong", () => {
  assert.throws(() => parseLinkCommand(["speed", "10mbit"]), /unknown setting "speed"/);
  assert.throws(() => parseLinkCommand(["delay"]), /delay: missing value/);
  assert.throws(() => parseLinkCommand(["delay", "fast"]), /delay: cannot read "fast"/);
  assert.throws(() => parseLinkCommand(["rate", "10mbps"]), /rate: cannot read "10mbps"/);
  assert.throws(() => parseLinkCommand(["loss", "150%"]), /lossPercent.*0\.\.100, got 150/);
  assert.throws(() => parseLinkCommand(["delay", "1ms/2ms/3ms"]), /one value or down\/up/);
  assert.throws(() => parseLinkCommand(["reorder", "maybe"]), /want on or off/);
  assert.throws(() => parseLinkCommand(["burst", "0.5"]), /burstLength.*1\.\.10000, got 0.5/);
});
