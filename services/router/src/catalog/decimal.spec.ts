import { canonicalPrice, normalizePrice, plainNumberString } from './decimal';

describe('prices as exact decimals', () => {
  it('keeps what was written, without trailing or leading zeros', () => {
    expect(normalizePrice('0.0005')).toEqual({ ok: true, value: '0.0005' });
    expect(normalizePrice('000.000500')).toEqual({ ok: true, value: '0.0005' });
    expect(normalizePrice('15')).toEqual({ ok: true, value: '15' });
    expect(normalizePrice('15.000')).toEqual({ ok: true, value: '15' });
    expect(normalizePrice('0')).toEqual({ ok: true, value: '0' });
    expect(normalizePrice(' 1.25 ')).toEqual({ ok: true, value: '1.25' });
  });

  it('reads JSON numbers as the literal they were written as, exponents included', () => {
    expect(normalizePrice(0.0005)).toEqual({ ok: true, value: '0.0005' });
    expect(normalizePrice(0.0015)).toEqual({ ok: true, value: '0.0015' });
    expect(normalizePrice(5e-7)).toEqual({ ok: true, value: '0.0000005' });
    expect(normalizePrice(1.5e-10)).toEqual({ ok: true, value: '0.00000000015' });
    expect(plainNumberString(1e21)).toBe('1000000000000000000000');
    expect(plainNumberString(2.5e3)).toBe('2500');
    expect(plainNumberString(-1e-7)).toBe('-0.0000001');
  });

  it('refuses negatives, non-numbers and precision numeric(20,12) cannot hold', () => {
    expect(normalizePrice('-0.1')).toMatchObject({ ok: false, reason: 'must not be negative' });
    expect(normalizePrice(-0.1)).toMatchObject({ ok: false, reason: 'must not be negative' });
    expect(normalizePrice('1e-3')).toMatchObject({ ok: false });
    expect(normalizePrice('abc')).toMatchObject({ ok: false });
    expect(normalizePrice('')).toMatchObject({ ok: false });
    expect(normalizePrice('0.0000000000001')).toMatchObject({ ok: false, reason: 'must have at most 12 decimal places' });
    expect(normalizePrice('123456789')).toMatchObject({ ok: false });
    expect(normalizePrice(Number.NaN)).toMatchObject({ ok: false });
  });

  it('turns Postgres numeric text back into the canonical form', () => {
    expect(canonicalPrice('0.000500000000')).toBe('0.0005');
    expect(canonicalPrice('2.000000000000')).toBe('2');
  });
});
