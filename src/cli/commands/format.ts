/** Renders rows as an aligned plain-text table with a header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** ISO time, or '-' for none. */
export function formatTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString() : '-';
}
