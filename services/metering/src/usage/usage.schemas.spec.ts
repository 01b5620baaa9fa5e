import { ApiError } from '@vectorstack/http';
import { checkRange, parseTime, usageQuery } from './usage.schemas';

describe('parseTime', () => {
  it('reads unix seconds and RFC 3339 with a zone', () => {
    expect(parseTime('1751328000')).toBe(1_751_328_000);
    expect(parseTime('2025-07-01T00:00:00Z')).toBe(1_751_328_000);
    expect(parseTime('2025-07-01T02:00:00+02:00')).toBe(1_751_328_000);
    expect(parseTime('2025-07-01T00:00:00.999Z')).toBe(1_751_328_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['2025-07-01', '2025-07-01T00:00:00', 'yesterday', '-5', '1.5', '', '2025-13-01T00:00:00Z']) expect(parseTime(bad)).toBeUndefined();
  });
});

describe('usageQuery', () => {
  it('defaults group_by to day', () => {
    expect(usageQuery.parse({ start: '1751328000' })).toEqual({ start: 1_751_328_000, group_by: 'day' });
  });

  it.each([
    [{ start: 'soon' }, ['start']],
    [{ start: '1751328000', end: 'later' }, ['end']],
    [{ start: '1751328000', group_by: 'week' }, ['group_by']],
    [{ start: '100' }, ['start']],
    [{ start: '1751328000', key_id: 'a b' }, ['key_id']],
    [{}, ['start']],
  ])('refuses %j', (query, path) => {
    const result = usageQuery.safeParse(query);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues[0]!.path).toEqual(path);
  });

  it('refuses unknown parameters', () => {
    expect(usageQuery.safeParse({ start: '1751328000', granularity: 'day' }).success).toBe(false);
  });
});

describe('checkRange', () => {
  const paramOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as ApiError).param;
    }
    return 'no error';
  };

  it('needs start before end and bounds the span', () => {
    expect(checkRange(100, 200, 1, 'x')).toEqual({ start: 100, end: 200 });
    expect(paramOf(() => checkRange(200, 200, 1, 'x'))).toBe('end');
    expect(paramOf(() => checkRange(0, 86_401, 1, 'x'))).toBe('end');
    expect(checkRange(0, 86_400, 1, 'x')).toEqual({ start: 0, end: 86_400 });
    expect(paramOf(() => checkRange(2_000_000_000_000, undefined, 1, 'x', 0))).toBe('start');
  });
});
