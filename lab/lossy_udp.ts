/**
 * iperf3's UDP test over emulated links that lose packets.
 *
 * iperf3 (3.12, Debian's) opens a UDP test with one datagram each way and never sends either
 * again: when the loss model takes one, client and server wait for each other until the run
 * times out. So the links start each run clean and the loss comes on once the test's datagrams
 * flow; the first tenth of a second or so crosses without loss.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import { waitFor } from "../tests/netns/harness/wait_for.ts";
import { iperfUdp, type UdpResult, type UdpRun } from "./iperf.ts";
import type { WanEmulator } from "./wan/start_wan_emulator.ts";

/**
 * Packets through the links (both ways, all of them) that tell the test is under way: far more
 * than iperf3's TCP control connection and bond's probes carry in the same time.
 */
const FLOWING_PACKETS = 400;

/** `run` with `lossPercent` random loss both ways on each of `links` once its datagrams flow. */
export async function iperfUdpWithLoss(
  lab: Lab,
  links: readonly WanEmulator[],
  lossPercent: number,
  run: UdpRun,
): Promise<UdpResult> {
  const setLoss = (percent: number) =>
    Promise.all(
      links.map((w) => w.set({ up: { lossPercent: percent }, down: { lossPercent: percent } })),
    );
  const packets = async () =>
    (await Promise.all(links.map((w) => w.status()))).reduce(
      (sum, s) => sum + s.stats.up.received + s.stats.down.received,
      0,
    );
  await setLoss(0);
  const start = await packets();
  let settled = false;
  const test = iperfUdp(lab, run);
  // Handled from the start, so a run that fails while we poll is reported by `await test`
  // below, not as an unhandled rejection.
  test.then(() => settled = true, () => settled = true);
  await waitFor(async () => settled || (await packets()) - start >= FLOWING_PACKETS, {
    timeoutMs: 10_000,
    what: `iperf3's datagrams through ${links.map((w) => w.name).join(", ")}`,
  }).catch(async (err) => {
    await test.catch(() => {});
    throw err;
  });
  await setLoss(lossPercent);
  return await test;
}
