/**
 * Which packets a WAN loses.
 *
 * - Random loss: each packet independently with probability L.
 * - Bursty loss (Gilbert-Elliott in its simple form): a Good state that loses nothing and a Bad
 *   state that loses everything. Each packet first moves Good → Bad with probability p or
 *   Bad → Good with probability r, then is lost if the state is Bad. A burst lasts 1/r packets
 *   on average and the long-run loss is p / (p + r); for mean loss L and mean burst B that gives
 *   r = 1/B and p = L·r / (1 − L). (p is capped at 1: a mean loss so high that gaps between
 *   bursts would be shorter than one packet cannot be reached with bursts that short.)
 */
import type { RandomSource } from "./seeded_random.ts";

const NONE = 0;
const RANDOM = 1;
const BURSTY = 2;
const ALL = 3;

export class LossModel {
  readonly #random: RandomSource;
  #mode = NONE;
  #probability = 0;
  #goodToBad = 0;
  #badToGood = 1;
  #bad = false;

  constructor(random: RandomSource) {
    this.#random = random;
  }

  /** Mean loss in percent (0-100), mean burst length in packets (≥ 1; 1 = random loss). */
  configure(lossPercent: number, burstLength: number): void {
    const loss = lossPercent / 100;
    this.#bad = false;
    if (!(loss > 0)) {
      this.#mode = NONE;
    } else if (loss >= 1) {
      this.#mode = ALL;
    } else if (!(burstLength > 1)) {
      this.#mode = RANDOM;
      this.#probability = loss;
    } else {
      this.#mode = BURSTY;
      this.#badToGood = 1 / burstLength;
      this.#goodToBad = Math.min(1, (loss * this.#badToGood) / (1 - loss));
    }
  }

  /** Decides the fate of the next packet: true = lose it. */
  drop(): boolean {
    switch (this.#mode) {
      case NONE:
        return false;
      case RANDOM:
        return this.#random() < this.#probability;
      case BURSTY:
        if (this.#bad) {
          if (this.#random() < this.#badToGood) this.#bad = false;
        } else if (this.#random() < this.#goodToBad) {
          this.#bad = true;
        }
        return this.#bad;
      default:
        return true;
    }
  }
}
