/** Prices are exact decimals end to end: parsed from strings (or JSON numbers) and kept as strings, never floats. */

export const MAX_INTEGER_DIGITS = 8;
export const MAX_FRACTION_DIGITS = 12;

const PLAIN = /^(\d+)(?:\.(\d+))?$/;
const EXPONENT = /^(\d+)(?:\.(\d*))?e([+-]?\d+)$/i;

/**
 * A JSON/YAML number as the decimal it was written as: JavaScript prints the shortest string
 * that reads back as the same double, which is the literal for any price written with up to
 * 15 significant digits; exponent forms (5e-7) are expanded.
 */
export function plainNumberString(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = String(Math.abs(value));
  const sign = value < 0 ? '-' : '';
  const match = EXPONENT.exec(text);
  if (!match) return sign + text;
  const [, intPart, fracPart = '', exponentText] = match;
  const digits = intPart + fracPart;
  const point = intPart.length + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

export type DecimalResult = { ok: true; value: string } | { ok: false; reason: string };

/** "000.000500" → "0.0005"; refuses negatives, non-numbers and more digits than numeric(20,12) holds. */
export function normalizePrice(input: string | number): DecimalResult {
  const text = typeof input === 'number' ? plainNumberString(input) : input.trim();
  if (text === undefined) return { ok: false, reason: 'must be a finite number' };
  if (text.startsWith('-')) return { ok: false, reason: 'must not be negative' };
  const match = PLAIN.exec(text);
  if (!match) return { ok: false, reason: 'must be a non-negative decimal number such as "0.0005"' };
  const integer = match[1].replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (integer.length > MAX_INTEGER_DIGITS) return { ok: false, reason: `must be below ${'1' + '0'.repeat(MAX_INTEGER_DIGITS)}` };
  if (fraction.length > MAX_FRACTION_DIGITS) return { ok: false, reason: `must have at most ${MAX_FRACTION_DIGITS} decimal places` };
  return { ok: true, value: fraction ? `${integer}.${fraction}` : integer };
}

/** Postgres numeric text ("0.000500000000") → canonical ("0.0005"). */
export function canonicalPrice(stored: string): string {
  const result = normalizePrice(stored);
  if (!result.ok) throw new Error(`stored price '${stored}' is not a canonical decimal: ${result.reason}`);
  return result.value;
}
