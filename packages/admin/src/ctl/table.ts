/**
 * Aligned plain-text tables: columns padded to their widest cell, two spaces apart, no trailing
 * spaces. Widths count code points, which is right for the ASCII and most text an operator sees.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (cell: string): number => [...cell].length;
  const widths = headers.map((header, column) =>
    Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    headers
      .map((_, column) => {
        const cell = cells[column] ?? '';
        return column === headers.length - 1 ? cell : cell + ' '.repeat(widths[column]! - width(cell));
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Label/value lines, labels padded to the same width. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const labelWidth = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(labelWidth)}  ${value}`.trimEnd()).join('\n') + '\n';
}
