/** Plain-text tables for the CLI's human output: columns padded to their widest cell, two spaces apart. */

export type Align = 'left' | 'right';

export interface Column {
  readonly header: string;
  readonly align?: Align;
}

/** Renders `rows` under `columns`, each line indented by `indent`; trailing spaces are trimmed. */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  indent = '  ',
): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    `${indent}${columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
      })
      .join('  ')}`.trimEnd();
  return [render(columns.map((c) => c.header)), ...rows.map(render)].join('\n');
}

/** `1234.5` as `1,234.5`, at most `digits` decimals. */
export function formatNumber(x: number, digits = 2): string {
  // Below 1, keep a few significant digits rather than rounding a small quantity to 0.
  if (x !== 0 && Math.abs(x) < 1) return x.toLocaleString('en-US', { maximumSignificantDigits: 4 });
  return x.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** `$1,234.56` (always two decimals). */
export function formatUsd(x: number): string {
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A unit price with as many decimals as it needs (`$0.045`, `$0.0000133334`). */
export function formatPrice(x: number): string {
  if (x === 0) return '$0';
  const digits = Math.min(10, Math.max(2, -Math.floor(Math.log10(Math.abs(x))) + 5));
  return `$${Number(x.toFixed(digits)).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}
