import assert from "node:assert/strict";
import { Keypair, KeypairSet } from "./keypair.ts";

let nextIndex = 1;
function kp(isInitiator: boolean): Keypair<string> {
  const i = nextIndex++;
  return new Keypair(
    "peer",
    {
      sendKey: new Uint8Array(32).fill(i),
      receiveKey: new Uint8Array(32).fill(i),
      isInitiator,
      localIndex: i,
      remoteIndex: 1000 + i,
    },
    0,
  );
}

Deno.test("initiator keypairs become current at once, the old current becomes previous", () => {
  const set = new KeypairSet<string>();
  const retired: Keypair<string>[] = [];
  const k1 = kp(true), k2 = kp(true), k3 = kp(true);
  set.install(k1, (k) => retired.push(k));
  set.install(k2, (k) => retired.push(k));
  assert.equal(set.current, k2);
  assert.equal(set.previous, k1);
  set.install(k3, (k) => retired.push(k));
  assert.deepEqual(retired, [k1]);
  assert.equal(set.previous, k2);
});

Deno.test("responder keypairs wait in next until a packet arrives under them", () => {
  const set = new KeypairSet<string>();
  const retired: Keypair<string>[] = [];
  const old = kp(true);
  set.install(old, (k) => retired.push(k));
  const fresh = kp(false);
  set.install(fresh, (k) => retired.push(k));
  assert.equal(set.current, old);
  assert.equal(set.next, fresh);
  assert.equal(set.receivedWith(old, (k) => retired.push(k)), false);
  assert.equal(set.receivedWith(fresh, (k) => retired.push(k)), true);
  assert.equal(set.current, fresh);
  assert.equal(set.previous, old);
  assert.equal(set.next, undefined);
  assert.equal(retired.length, 0);
});

Deno.test("an initiator handshake over an unconfirmed next keeps next as previous", () => {
  const set = new KeypairSet<string>();
  const retired: Keypair<string>[] = [];
  const cur = kp(true), next = kp(false), mine = kp(true);
  set.install(cur, (k) => retired.push(k));
  set.install(next, (k) => retired.push(k));
  set.install(mine, (k) => retired.push(k));
  assert.equal(set.current, mine);
  assert.equal(set.previous, next);
  assert.equal(set.next, undefined);
  assert.deepEqual(retired, [cur]);
});

Deno.test("destroying a keypair wipes both keys", () => {
  const k = kp(true);
  k.destroy();
  assert.ok(k.sendKey.every((b) => b === 0) && k.receiveKey.every((b) => b === 0));
  assert.equal(k.destroyed, true);
});
