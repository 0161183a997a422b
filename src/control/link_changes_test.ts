import assert from "node:assert/strict";
import type { LinkConfig } from "../config/types.ts";
import { linkChanges } from "./link_changes.ts";

const link = (name: string, extra: Partial<LinkConfig> = {}): LinkConfig => ({
  name,
  device: name,
  weight: 1,
  ...extra,
});

Deno.test("link changes: added, removed, rebound, retuned; order alone is no change", () => {
  const current = [link("dsl"), link("lte", { downMbps: 50 }), link("sat")];
  const next = [
    link("sat"),
    link("lte", { downMbps: 80, weight: 2 }),
    link("dsl", { device: "eth9" }),
    link("fibre", {
      source: { family: 4, address: new Uint8Array([192, 0, 2, 7]), text: "192.0.2.7" },
    }),
  ];
  const c = linkChanges(current, next);
  assert.deepEqual(c.added.map((l) => l.name), ["fibre"]);
  assert.deepEqual(c.removed.map((l) => l.name), []);
  assert.deepEqual(c.rebound.map((l) => l.device), ["eth9"]);
  assert.deepEqual(c.retuned.map((r) => r.link.name), ["lte"]);
  assert.deepEqual(c.descriptions, [
    "links.lte: weight 1 -> 2, down_mbps 50 -> 80",
    "links.dsl: device dsl -> device eth9",
    "links: added fibre (device fibre, source 192.0.2.7)",
  ]);
  const none = linkChanges(current, [...current].reverse());
  assert.deepEqual(none.descriptions, []);
  const gone = linkChanges(current, [link("lte", { downMbps: 50 })]);
  assert.deepEqual(gone.removed.map((l) => l.name), ["dsl", "sat"]);
  assert.deepEqual(gone.descriptions, ["links: removed dsl", "links: removed sat"]);
});
