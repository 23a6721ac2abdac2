/** Plain text tables for operator commands (`hallmark admin list-…`). */

/**
 * Renders rows under headers, each column as wide as its widest cell, two spaces apart; an
 * empty list prints `empty` instead of a lone header.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  empty: string,
): string {
  if (rows.length === 0) {
    return empty;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
