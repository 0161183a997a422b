/**
 * Adds the operations sections to a lab daemon's YAML: a control socket of its own (two daemons
 * in one lab share the file system, so /run/bond/bnd0.sock would be one socket for both) and,
 * optionally, a metrics listener on the host's loopback.
 */
export interface OperationsSettings {
  controlSocket: string;
  /** e.g. "127.0.0.1:9586" */
  metricsListen?: string;
}

export function withOperations(configText: string, s: OperationsSettings): string {
  // Quoted: "[::1]:9586" unquoted would read as a YAML list.
  const lines = [`control:`, `  socket: ${JSON.stringify(s.controlSocket)}`];
  if (s.metricsListen) lines.push(`metrics:`, `  listen: ${JSON.stringify(s.metricsListen)}`);
  return configText.trimEnd() + "\n" + lines.join("\n") + "\n";
}
