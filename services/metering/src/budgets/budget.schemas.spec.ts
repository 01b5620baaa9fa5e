import { budgetBody, compareDecimals } from './budget.schemas';

describe('budgetBody', () => {
  it('takes decimal strings, numbers and nulls; a missing limit is no limit', () => {
    expect(budgetBody.parse({ soft_limit_usd: '80.50', hard_limit_usd: 100 })).toEqual({ soft: '80.5', hard: '100' });
    expect(budgetBody.parse({ hard_limit_usd: '0' })).toEqual({ soft: null, hard: '0' });
    expect(budgetBody.parse({})).toEqual({ soft: null, hard: null });
    expect(budgetBody.parse({ soft_limit_usd: null, hard_limit_usd: null })).toEqual({ soft: null, hard: null });
  });

  it.each([
    [{ hard_limit_usd: '-1' }, ['hard_limit_usd']],
    [{ hard_limit_usd: '1.0000001' }, ['hard_limit_usd']],
    [{ hard_limit_usd: true }, ['hard_limit_usd']],
    [{ soft_limit_usd: '101', hard_limit_usd: '100.999' }, ['soft_limit_usd']],
    [{ hard: 1 }, []],
  ])('refuses %j', (body, path) => {
    const result = budgetBody.safeParse(body);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues[0]!.path).toEqual(path);
  });
});

describe('compareDecimals', () => {
  it('compares exactly', () => {
    expect(compareDecimals('10', '9.999999')).toBe(1);
    expect(compareDecimals('0.1', '0.10')).toBe(0);
    expect(compareDecimals('0.09', '0.1')).toBe(-1);
    expect(compareDecimals('100', '100')).toBe(0);
  });
});
