/**
 * Money and prices stay exact decimals end to end: Postgres `numeric` does the arithmetic, and
 * this module only validates and formats decimal strings (never parses them into floats).
 */

const PLAIN = /^(\d+)(?:\.(\d+))?$/;

export type DecimalResult = { ok: true; value: string } | { ok: false; reason: string };

/**
 * A non-negative decimal written as a string (or a JSON number, taken as the literal JavaScript
 * prints for it) → its canonical form ("000.500" → "0.5"), within `maxIntegerDigits` and
 * `maxFractionDigits`.
 */
export function parseDecimal(input: string | number, maxIntegerDigits: number, maxFractionDigits: number): DecimalResult {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, reason: 'must be a finite number' };
    text = plainNumberString(input);
  } else {
    text = input.trim();
  }
  if (text.startsWith('-')) return { ok: false, reason: 'must not be negative' };
  const match = PLAIN.exec(text);
  if (!match) return { ok: false, reason: 'must be a non-negative decimal number such as "12.50"' };
  const integer = match[1]!.replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (integer.length > maxIntegerDigits) return { ok: false, reason: `must be below 1${'0'.repeat(maxIntegerDigits)}` };
  if (fraction.length > maxFractionDigits) return { ok: false, reason: `must have at most ${maxFractionDigits} decimal places` };
  return { ok: true, value: fraction ? `${integer}.${fraction}` : integer };
}

/** 5e-7 → "0.0000005": the decimal a JSON number literal stands for, without an exponent. */
export function plainNumberString(value: number): string {
  const text = String(Math.abs(value));
  const sign = value < 0 ? '-' : '';
  const match = /^(\d+)(?:\.(\d*))?e([+-]?\d+)$/i.exec(text);
  if (!match) return sign + text;
  const [, intPart = '', fracPart = '', exponentText = '0'] = match;
  const digits = intPart + fracPart;
  const point = intPart.length + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Postgres numeric text → canonical decimal string without trailing zeros:
 * "0.001500000000000" → "0.0015", "12.000" → "12", null → "0".
 */
export function formatNumeric(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '0';
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  const [integerPart = '0', fractionPart = ''] = digits.split('.');
  const integer = integerPart.replace(/^0+(?=\d)/, '');
  const fraction = fractionPart.replace(/0+$/, '');
  const text = fraction ? `${integer}.${fraction}` : integer;
  return negative && text !== '0' ? `-${text}` : text;
}
