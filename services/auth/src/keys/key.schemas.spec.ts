import { createKeyBody, normaliseCidr, parseTimestamp, rotateKeyBody, updateKeyBody } from './key.schemas';

describe('key request schemas', () => {
  const valid = { name: 'ci', tier: 'pro', scopes: ['chat', 'chat'] };

  it('accepts a minimal key and fills defaults', () => {
    const parsed = createKeyBody.parse(valid);
    expect(parsed).toMatchObject({ scopes: ['chat'], models: [], ip_allowlist: [], metadata: {} });
  });

  it('rejects unknown fields, unknown scopes and tiers', () => {
    expect(createKeyBody.safeParse({ ...valid, extra: 1 }).success).toBe(false);
    expect(createKeyBody.safeParse({ ...valid, scopes: ['root'] }).success).toBe(false);
    expect(createKeyBody.safeParse({ ...valid, tier: 'gold' }).success).toBe(false);
  });

  it('validates and normalises CIDRs, naming the bad entry', () => {
    expect(createKeyBody.parse({ ...valid, ip_allowlist: ['10.0.0.1', '::1', '10.0.0.0/8'] }).ip_allowlist).toEqual([
      '10.0.0.1/32',
      '::1/128',
      '10.0.0.0/8',
    ]);
    const bad = createKeyBody.safeParse({ ...valid, ip_allowlist: ['10.0.0.0/8', '300.1.1.1/33'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['ip_allowlist', 1]);
    expect(normaliseCidr('10.0.0.0/33')).toBeUndefined();
  });

  it('takes expires_at as RFC 3339 or unix seconds, only in the future', () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect(createKeyBody.parse({ ...valid, expires_at: future }).expires_at?.getTime()).toBe(future * 1000);
    expect(createKeyBody.parse({ ...valid, expires_at: new Date(future * 1000).toISOString() }).expires_at?.getTime()).toBe(future * 1000);
    expect(createKeyBody.safeParse({ ...valid, expires_at: '2001-01-01T00:00:00Z' }).success).toBe(false);
    expect(createKeyBody.safeParse({ ...valid, expires_at: 'tomorrow' }).success).toBe(false);
    expect(parseTimestamp('2030-01-01')).toBeUndefined();
  });

  it('limits metadata to 4 KB', () => {
    expect(createKeyBody.safeParse({ ...valid, metadata: { a: 'x'.repeat(4000) } }).success).toBe(true);
    expect(createKeyBody.safeParse({ ...valid, metadata: { a: 'x'.repeat(5000) } }).success).toBe(false);
  });

  it('allows clearing the expiry on update and bounds the rotation grace', () => {
    expect(updateKeyBody.parse({ expires_at: null })).toEqual({ expires_at: null });
    expect(rotateKeyBody.safeParse({ grace_seconds: 604_801 }).success).toBe(false);
    expect(rotateKeyBody.parse({})).toEqual({});
  });
});
