/**
 * A router's own `forwards:` added to its YAML: the list it pushes to the VPS over the control
 * channel. Kept apart from bondConfigText, whose routers have none.
 */
import type { EdgeForward } from "./edge_configs.ts";

export function withRouterForwards(configText: string, forwards: readonly EdgeForward[]): string {
  if (forwards.length === 0) return configText.trimEnd() + "\nforwards: []\n";
  const lines = ["forwards:"];
  for (const f of forwards) {
    // Quoted: "[fd00::2]:80" unquoted would read as a YAML list.
    lines.push(`  - proto: ${f.proto}`, `    port: ${f.port}`, `    to: ${JSON.stringify(f.to)}`);
  }
  return configText.trimEnd() + "\n" + lines.join("\n") + "\n";
}
