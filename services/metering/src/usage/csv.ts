/** CSV (RFC 4180) lines for the usage export. */

export type CsvValue = string | number | boolean | null;

/**
 * One field: quoted when it holds a comma, a quote or a line break. Text that a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR first: request ids are client-supplied) is
 * prefixed with a single quote, the OWASP mitigation for CSV injection.
 */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
