/**
 * `deno bench -A src/crypto/aead_bench.ts`: seal and open of one 1400-byte packet per
 * iteration for each backend; backends whose library is missing are listed as ignored.
 */
import { AEAD_CANDIDATES } from "./select.ts";

const PACKET_BYTES = 1400;
const key = crypto.getRandomValues(new Uint8Array(32));
const plain = crypto.getRandomValues(new Uint8Array(PACKET_BYTES));

for (const candidate of AEAD_CANDIDATES) {
  let aead = null;
  try {
    aead = (await candidate.load()).aead;
  } catch {
    aead = null;
  }
  const sealOut = new Uint8Array(PACKET_BYTES + 16);
  // Its own buffer: the seal bench keeps overwriting sealOut under other counters.
  const sealedAtZero = new Uint8Array(PACKET_BYTES + 16);
  const opened = new Uint8Array(PACKET_BYTES);
  let counter = 0;
  aead?.seal(key, 0, plain, sealedAtZero);
  Deno.bench({
    name: `${candidate.name} seal ${PACKET_BYTES} B`,
    group: "seal",
    baseline: candidate.name === "noble",
    ignore: aead === null,
    fn: () => aead!.seal(key, counter++, plain, sealOut),
  });
  Deno.bench({
    name: `${candidate.name} open ${PACKET_BYTES} B`,
    group: "open",
    baseline: candidate.name === "noble",
    ignore: aead === null,
    fn: () => {
      // Sealed once above under counter 0; open is stateless, so it can be repeated.
      if (!aead!.open(key, 0, sealedAtZero, opened)) {
        throw new Error(`${candidate.name}: open failed`);
      }
    },
  });
}
