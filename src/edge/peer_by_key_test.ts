import assert from "node:assert/strict";
import { peerNameByKey } from "./peer_by_key.ts";

const key = (fill: number) => new Uint8Array(32).fill(fill);

Deno.test("peer by key: the name follows the key, whatever the order", () => {
  const peers = [{ name: "home", publicKey: key(1) }, { name: "office", publicKey: key(2) }];
  assert.equal(peerNameByKey(peers, key(2)), "office");
  assert.equal(peerNameByKey([...peers].reverse(), key(2)), "office");
  assert.equal(peerNameByKey(peers, key(3)), undefined);
  assert.equal(peerNameByKey(peers, key(1).subarray(0, 31)), undefined);
});
