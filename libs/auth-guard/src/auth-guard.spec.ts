import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ApiKeyStatus } from '@vectorstack/contracts';
import { ipAllowed } from './client-ip';
import { evaluateKeyState } from './evaluate';
import { generateApiKey, hashApiKey, isWellFormedApiKey, KeyHasher, presentedApiKey } from './key-material';
import { KeyStateCache } from './key-state-cache';
import { PrincipalResolver } from './principal-resolver';
import { keyState } from './testing/key-states';

const HMAC = 'x'.repeat(64);
const now = new Date('2026-06-01T12:00:00Z');
const secret = generateApiKey();

describe('key material', () => {
  it('generates vsk_ keys with 32 random bytes and hashes them with HMAC-SHA-256', () => {
    expect(isWellFormedApiKey(secret)).toBe(true);
    expect(generateApiKey()).not.toBe(secret);
    expect(hashApiKey(secret, HMAC)).toHaveLength(32);
    expect(hashApiKey(secret, HMAC).equals(hashApiKey(secret, 'y'.repeat(64)))).toBe(false);
  });

  it('reads the key from Authorization, X-API-Key or X-My-API-Key', () => {
    expect(presentedApiKey({ authorization: `Bearer ${secret}` })).toBe(secret);
    expect(presentedApiKey({ authorization: `bearer  ${secret} ` })).toBe(secret);
    expect(presentedApiKey({ 'x-api-key': secret })).toBe(secret);
    expect(presentedApiKey({ 'x-my-api-key': secret })).toBe(secret);
    expect(presentedApiKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedApiKey({})).toBeUndefined();
  });
});

describe('KeyHasher (the request path\'s HMACs, remembered by the secret\'s SHA-256)', () => {
  it('gives the HMAC hashApiKey gives, and its hex, the first time and every time after', () => {
    const hasher = new KeyHasher(HMAC);
    const first = hasher.hash(secret);
    expect(first.hash.equals(hashApiKey(secret, HMAC))).toBe(true);
    expect(first.hex).toBe(hashApiKey(secret, HMAC).toString('hex'));
    expect(hasher.hash(secret)).toBe(first);
    expect(hasher.hash(`${secret}`.slice(0)).hash.equals(first.hash)).toBe(true);
    const other = generateApiKey();
    expect(hasher.hash(other).hash.equals(hashApiKey(other, HMAC))).toBe(true);
    expect(hasher.size).toBe(2);
  });

  it('holds no secret: what it keeps is reachable only through SHA-256 digests and HMACs', () => {
    const hasher = new KeyHasher(HMAC);
    hasher.hash(secret);
    const held = JSON.stringify([...(hasher as unknown as { memo: Map<string, { hex: string }> }).memo].map(([index, value]) => [index, value.hex]));
    expect(held).not.toContain(secret);
    expect(held).not.toContain(secret.slice(4, 20));
  });

  it('is bounded: the oldest entry goes first, and a forgotten key is hashed again correctly', () => {
    const hasher = new KeyHasher(HMAC, 3);
    const keys = [generateApiKey(), generateApiKey(), generateApiKey(), generateApiKey()];
    const first = hasher.hash(keys[0]!);
    for (const key of keys.slice(1)) hasher.hash(key);
    expect(hasher.size).toBe(3);
    const again = hasher.hash(keys[0]!);
    expect(again).not.toBe(first);
    expect(again.hash.equals(first.hash)).toBe(true);
    expect(hasher.size).toBe(3);
  });
});

describe('evaluateKeyState', () => {
  const hash = hashApiKey(secret, HMAC);
  const evaluate = (overrides: Partial<Parameters<typeof keyState>[0]>) =>
    evaluateKeyState(keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, ...overrides }), hash, now);

  it('admits an active key and returns its principal', () => {
    const result = evaluate({ scopes: ['chat', 'embeddings'] });
    expect(result).toMatchObject({ ok: true, principal: { keyId: 'k1', tenantId: 'tenant-1', tier: 'pro', scopes: ['chat', 'embeddings'] } });
  });

  it.each([
    ['revoked', { status: ApiKeyStatus.REVOKED }, 'invalid_api_key'],
    ['expired', { expiresAt: new Date('2026-06-01T11:59:59Z') }, 'invalid_api_key'],
    ['of a disabled tenant', { tenantDisabled: true }, 'invalid_api_key'],
    ['rotated out', { secrets: [{ secret: generateApiKey() }, { secret, validUntil: new Date('2026-06-01T11:00:00Z') }] }, 'invalid_api_key'],
    ['over budget', { budgetExceeded: true }, 'budget_exceeded'],
  ])('refuses a key that is %s', (_case, overrides, refusal) => {
    expect(evaluate(overrides)).toMatchObject({ ok: false, refusal });
  });

  it('lifts a budget block by itself at budget_blocked_until (the next month)', () => {
    const state = keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, budgetExceeded: true });
    state.budgetBlockedUntil = timestampFromDate(new Date('2026-07-01T00:00:00Z'));
    expect(evaluateKeyState(state, hash, now)).toMatchObject({ ok: false, refusal: 'budget_exceeded' });
    expect(evaluateKeyState(state, hash, new Date('2026-07-01T00:00:00Z'))).toMatchObject({ ok: true });
  });

  it('admits the previous secret during the rotation grace period', () => {
    const rotated = evaluate({ secrets: [{ secret: generateApiKey() }, { secret, validUntil: new Date('2026-06-01T13:00:00Z') }] });
    expect(rotated.ok).toBe(true);
  });
});

describe('KeyStateCache', () => {
  it('keeps the newest version, drops hashes the key no longer accepts, and forgets tombstoned keys', () => {
    const cache = new KeyStateCache();
    const next = generateApiKey();
    expect(cache.apply(keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, version: 2n }))).toBe(true);
    expect(cache.apply(keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, version: 1n, status: ApiKeyStatus.REVOKED }))).toBe(false);
    expect(cache.evaluate(hashApiKey(secret, HMAC), now)?.ok).toBe(true);

    cache.apply(keyState({ keyId: 'k1', secrets: [{ secret: next }], hmacSecret: HMAC, version: 3n }));
    expect(cache.evaluate(hashApiKey(secret, HMAC), now)).toBeUndefined();
    expect(cache.evaluate(hashApiKey(next, HMAC), now)?.ok).toBe(true);

    cache.remove('k1');
    expect(cache.evaluate(hashApiKey(next, HMAC), now)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('PrincipalResolver', () => {
  it('asks the verifier on a miss and remembers negative answers briefly', async () => {
    const cache = new KeyStateCache();
    const verify = jest.fn(async () => ({ evaluation: undefined, cacheTtlMs: 5_000 }));
    const resolver = new PrincipalResolver(cache, HMAC, { verify });
    const guess = generateApiKey();
    await expect(resolver.resolve(guess, now)).resolves.toBeUndefined();
    // The remembered answer, given at once (no promise).
    expect(resolver.resolve(guess, new Date(now.getTime() + 1_000))).toBeUndefined();
    expect(verify).toHaveBeenCalledTimes(1);
    await resolver.resolve(guess, new Date(now.getTime() + 6_000));
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('finds a key in the cache even after the verifier said it was unknown', async () => {
    const cache = new KeyStateCache();
    const resolver = new PrincipalResolver(cache, HMAC, { verify: async () => ({ evaluation: undefined, cacheTtlMs: 60_000 }) });
    await expect(resolver.resolve(secret, now)).resolves.toBeUndefined();
    cache.apply(keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC }));
    // Decided by the cache: the evaluation itself, not a promise.
    expect(resolver.resolve(secret, now)).toMatchObject({ ok: true });
  });
});

describe('ipAllowed', () => {
  it('matches IPv4, IPv6 and IPv4-mapped addresses against CIDRs', () => {
    expect(ipAllowed('10.1.2.3', [])).toBe(true);
    expect(ipAllowed('10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('::ffff:10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('11.1.2.3', ['10.0.0.0/8', '192.168.1.0/24'])).toBe(false);
    expect(ipAllowed('2001:db8::1', ['2001:db8::/32'])).toBe(true);
    expect(ipAllowed('2001:db9::1', ['2001:db8::/32'])).toBe(false);
    expect(ipAllowed('not-an-ip', ['0.0.0.0/0'])).toBe(false);
  });
});
