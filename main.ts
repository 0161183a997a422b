/** bond: multi-WAN bonding over a WireGuard tunnel. Entry point of the single binary. */
import { main } from "./src/cli/main.ts";

Deno.exit(await main(Deno.args));
