/** Plain-text tables for the CLIs' output: columns padded to their widest cell, two spaces apart. */

/**
 * `rows` (the first is the header) as lines; a column for which `rightAligned` is true (numbers) is
 * padded on the left. The last column is not padded on the right, so lines carry no trailing blanks.
 */
export function textTable(rows: readonly string[][], rightAligned: (column: number) => boolean = () => false): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => (rightAligned(c) ? cell.padStart(widths[c] ?? 0) : c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
        .join('  '),
    )
    .join('\n');
}
