/** Left-aligned columns separated by two spaces, for terminal output. */
export function renderTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => c === cells.length - 1 ? cell : cell.padEnd(widths[c])).join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
