import {
  DEFAULT_PLANS,
  effectiveLimits,
  limitOverrideSchema,
  onlyLowers,
  PLAN_TIERS,
  planBodySchema,
  planFromBody,
  raisedLimits,
  type PlanLimits,
} from './plan';

const limits = (overrides: Partial<PlanLimits> = {}): PlanLimits => ({
  requests_per_minute: 60,
  requests_per_hour: null,
  requests_per_day: 1_000,
  tokens_per_minute: 10_000,
  tokens_per_day: null,
  max_concurrent: 5,
  ...overrides,
});

describe('default plans', () => {
  it('carry the seeds’ figures and fail open only for enterprise', () => {
    expect(DEFAULT_PLANS.free).toMatchObject({ requests_per_minute: 10, requests_per_day: 1_000, redis_unavailable: 'fail_closed' });
    expect(DEFAULT_PLANS.starter).toMatchObject({ requests_per_minute: 20, tokens_per_minute: 10_000, redis_unavailable: 'fail_closed' });
    expect(DEFAULT_PLANS.pro).toMatchObject({ requests_per_minute: 60, tokens_per_minute: 50_000, requests_per_day: 50_000, redis_unavailable: 'fail_closed' });
    expect(DEFAULT_PLANS.enterprise.redis_unavailable).toBe('fail_open');
  });

  it('grow with the tier: no limit of a higher tier is below the one under it', () => {
    for (let i = 1; i < PLAN_TIERS.length; i++) {
      expect(raisedLimits(DEFAULT_PLANS[PLAN_TIERS[i]], DEFAULT_PLANS[PLAN_TIERS[i - 1]])).toEqual([]);
    }
  });
});

describe('planBodySchema', () => {
  it('accepts whole non-negative numbers and null, and lifts absent limits', () => {
    const body = planBodySchema.parse({ requests_per_minute: 5, tokens_per_minute: null, max_concurrent: 0 });
    expect(planFromBody('pro', body)).toEqual({
      requests_per_minute: 5,
      requests_per_hour: null,
      requests_per_day: null,
      tokens_per_minute: null,
      tokens_per_day: null,
      max_concurrent: 0,
      redis_unavailable: 'fail_closed',
    });
    expect(planFromBody('enterprise', planBodySchema.parse({})).redis_unavailable).toBe('fail_open');
  });

  it.each([
    ['a negative limit', { requests_per_minute: -1 }, ['requests_per_minute'], 'must not be negative'],
    ['a fraction', { tokens_per_day: 1.5 }, ['tokens_per_day'], 'must be a whole number'],
    ['a string', { requests_per_hour: '10' }, ['requests_per_hour'], 'must be a whole number or null'],
    ['an unknown field', { requests_per_week: 10 }, [], 'Unrecognized key'],
    ['an unknown policy', { redis_unavailable: 'maybe' }, ['redis_unavailable'], 'Invalid enum value'],
    ['a limit beyond exact arithmetic', { tokens_per_day: 2 ** 60 }, ['tokens_per_day'], 'must be at most'],
  ])('refuses %s', (_case, body, path, message) => {
    const result = planBodySchema.safeParse(body);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error.issues[0].path).toEqual(path);
      expect(result.error.issues[0].message).toContain(message);
    }
  });
});

describe('limitOverrideSchema', () => {
  it('takes limits only, null lifting one', () => {
    expect(limitOverrideSchema.parse({ requests_per_minute: 3, tokens_per_day: null })).toEqual({ requests_per_minute: 3, tokens_per_day: null });
    expect(limitOverrideSchema.safeParse({ redis_unavailable: 'fail_open' }).success).toBe(false);
    expect(limitOverrideSchema.safeParse({ max_concurrent: -2 }).success).toBe(false);
  });
});

describe('effectiveLimits', () => {
  it('applies present override fields, null lifting a limit, absent fields inheriting', () => {
    expect(effectiveLimits(limits(), { requests_per_minute: 5, requests_per_day: null })).toEqual(limits({ requests_per_minute: 5, requests_per_day: null }));
    expect(effectiveLimits(limits(), {})).toEqual(limits());
  });
});

describe('onlyLowers / raisedLimits', () => {
  it('allows lowering a limit and setting one where there was none', () => {
    expect(onlyLowers(limits(), limits({ requests_per_minute: 10, requests_per_hour: 100 }))).toBe(true);
  });

  it('names every limit that is raised or lifted', () => {
    expect(raisedLimits(limits(), limits({ requests_per_minute: 61, max_concurrent: null, tokens_per_minute: 1 }))).toEqual(['requests_per_minute', 'max_concurrent']);
    expect(onlyLowers(limits(), limits({ requests_per_day: null }))).toBe(false);
  });
});
