/**
 * Benchmarks that print figures (never assert them):
 *   deno task bench crypto            AEAD backends, packets/s and Gbit/s (same as `bond bench crypto`)
 *   deno task bench tunnel [SECONDS]  underlay vs wireguard-go vs bond, one run (root)
 */
const [what, arg] = Deno.args;
if (what === "crypto") {
  const { runCryptoBench } = await import("../src/crypto/bench.ts");
  await runCryptoBench();
} else if (what === "tunnel") {
  if (Deno.uid() !== 0) {
    console.error("bench tunnel: needs root (network namespaces)");
    Deno.exit(1);
  }
  const { runTunnelBench } = await import("../lab/tunnel_bench.ts");
  await runTunnelBench({ seconds: arg ? Number(arg) : undefined });
} else {
  console.error("usage: deno task bench crypto | tunnel [SECONDS]");
  Deno.exit(2);
}
