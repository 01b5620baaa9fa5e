import { formatNumeric, parseDecimal, plainNumberString } from './decimal';

describe('parseDecimal', () => {
  it('canonicalises strings and JSON numbers without floats', () => {
    expect(parseDecimal('000.500', 12, 6)).toEqual({ ok: true, value: '0.5' });
    expect(parseDecimal('100', 12, 6)).toEqual({ ok: true, value: '100' });
    expect(parseDecimal(12.5, 12, 6)).toEqual({ ok: true, value: '12.5' });
    expect(parseDecimal(5e-7, 12, 12)).toEqual({ ok: true, value: '0.0000005' });
    expect(parseDecimal(' 0.10 ', 12, 6)).toEqual({ ok: true, value: '0.1' });
  });

  it('refuses negatives, garbage and too many digits', () => {
    expect(parseDecimal('-1', 12, 6)).toMatchObject({ ok: false });
    expect(parseDecimal('1e3', 12, 6)).toMatchObject({ ok: false });
    expect(parseDecimal('abc', 12, 6)).toMatchObject({ ok: false });
    expect(parseDecimal('0.1234567', 12, 6)).toMatchObject({ ok: false, reason: 'must have at most 6 decimal places' });
    expect(parseDecimal('1234567890123', 12, 6)).toMatchObject({ ok: false });
    expect(parseDecimal(Number.NaN, 12, 6)).toMatchObject({ ok: false });
  });
});

describe('plainNumberString', () => {
  it('expands exponents', () => {
    expect(plainNumberString(1e21)).toBe('1000000000000000000000');
    expect(plainNumberString(1.5e-10)).toBe('0.00000000015');
  });
});

describe('formatNumeric', () => {
  it('drops trailing zeros of numeric text', () => {
    expect(formatNumeric('0.001500000000000')).toBe('0.0015');
    expect(formatNumeric('12.000000000000000')).toBe('12');
    expect(formatNumeric('0.000000000000000')).toBe('0');
    expect(formatNumeric(null)).toBe('0');
    expect(formatNumeric('-0.50')).toBe('-0.5');
    expect(formatNumeric('123456789012345678901.123456789012345')).toBe('123456789012345678901.123456789012345');
  });
});
