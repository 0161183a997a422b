/**
 * Benchmarks that print figures (never assert them):
 *   deno task bench crypto            AEAD backends, packets/s and Gbit/s (same as `bond bench crypto`)
 *   deno task bench tunnel [SECONDS] [--no-noble] [--wire-veths] [--repeat N]
 *                                     underlay vs wireguard-go vs bond, one run (root);
 *                                     --wire-veths: underlay veths without checksum and
 *                                     segmentation offloads (on by default, as on NICs);
 *                                     BOND_DATAPATH_OFFLOADS=none|gso|gro|gso,gro picks bond's
 *                                     socket offloads
 *   deno task bench bonding [SECONDS] [--profiles A,B,C] [--repeat N]
 *                                     bond over the three emulated WANs per profile: TCP
 *                                     up/down, 8 flows, UDP loss, failover gap, redundant
 *                                     mode under loss, idle latency added (root);
 *                                     BOND_BENCH_DEBUG=1 also prints both daemons' path
 *                                     state changes after the failover (with silent_ms)
 */
const [what, arg] = Deno.args;

/** `--repeat N`: runs per TCP figure (the median is shown). */
function repeatArg(): number | undefined {
  const at = Deno.args.indexOf("--repeat");
  return at >= 0 ? Number(Deno.args[at + 1]) : undefined;
}
if (what === "crypto") {
  const { runCryptoBench } = await import("../src/crypto/bench.ts");
  await runCryptoBench();
} else if (what === "tunnel") {
  if (Deno.uid() !== 0) {
    console.error("bench tunnel: needs root (network namespaces)");
    Deno.exit(1);
  }
  const { runTunnelBench } = await import("../lab/tunnel_bench.ts");
  await runTunnelBench({
    seconds: arg && !arg.startsWith("-") ? Number(arg) : undefined,
    noble: !Deno.args.includes("--no-noble"),
    underlayOffloads: !Deno.args.includes("--wire-veths"),
    repeat: repeatArg(),
  });
} else if (what === "bonding") {
  if (Deno.uid() !== 0) {
    console.error("bench bonding: needs root (network namespaces)");
    Deno.exit(1);
  }
  const at = Deno.args.indexOf("--profiles");
  const { runBondingBench } = await import("../lab/bonding_bench.ts");
  await runBondingBench({
    seconds: arg && !arg.startsWith("-") ? Number(arg) : undefined,
    profiles: at >= 0 ? Deno.args[at + 1]?.split(",") : undefined,
    repeat: repeatArg(),
  });
} else {
  console.error(
    "usage: deno task bench crypto | tunnel [SECONDS] [--no-noble] [--wire-veths] [--repeat N] | bonding [SECONDS] [--profiles A,B,C] [--repeat N]",
  );
  Deno.exit(2);
}
