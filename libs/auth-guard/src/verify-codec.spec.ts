import { ApiKeyStatus, VerifyOutcome } from '@vectorstack/contracts';
import { Reflector } from '@nestjs/core';
import { ApiError } from '@vectorstack/http';
import { AllowOverBudget, ApiKeyGuard } from './api-key.guard';
import { evaluateKeyState, type KeyEvaluation, type RefusalReason } from './evaluate';
import { generateApiKey, hashApiKey } from './key-material';
import { PrincipalResolver } from './principal-resolver';
import { KeyStateCache } from './key-state-cache';
import { keyState } from './testing/key-states';
import { evaluationFromVerifyResponse, verifyResponseFor } from './verify-codec';

const HMAC = 'h'.repeat(64);
const ttls = { validMs: 30_000, refusedMs: 2_000 };
const secret = generateApiKey();

describe('Verify codec', () => {
  it('carries a valid principal across the wire unchanged', () => {
    const expiresAt = new Date('2030-01-01T00:00:00Z');
    const evaluation = evaluateKeyState(
      keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, scopes: ['chat'], ipAllowlist: ['10.0.0.0/8'], expiresAt }),
      hashApiKey(secret, HMAC),
      new Date('2029-01-01T00:00:00Z'),
    );
    const response = verifyResponseFor(evaluation, ttls);
    expect(response.outcome).toBe(VerifyOutcome.VALID);
    expect(response.cacheTtlMs).toBe(30_000);
    expect(evaluationFromVerifyResponse(response)).toEqual(evaluation);
  });

  it.each<Exclude<RefusalReason, 'budget_exceeded'>>(['revoked', 'tenant_disabled', 'rotated_out', 'expired'])('keeps the refusal reason %s', (reason) => {
    const refusal: KeyEvaluation = { ok: false, refusal: 'invalid_api_key', reason };
    const response = verifyResponseFor(refusal, ttls);
    expect(response.cacheTtlMs).toBe(2_000);
    expect(response.principal).toBeUndefined();
    expect(evaluationFromVerifyResponse(response)).toEqual(refusal);
  });

  it('carries the principal of an over-budget key, for the routes that stay open to it', () => {
    const evaluation = evaluateKeyState(
      keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, budgetExceeded: true }),
      hashApiKey(secret, HMAC),
      new Date('2029-01-01T00:00:00Z'),
    );
    expect(evaluation).toMatchObject({ ok: false, refusal: 'budget_exceeded', principal: { keyId: 'k1' } });
    const response = verifyResponseFor(evaluation, ttls);
    expect(response.outcome).toBe(VerifyOutcome.BUDGET_EXCEEDED);
    expect(response.cacheTtlMs).toBe(2_000);
    expect(evaluationFromVerifyResponse(response)).toEqual(evaluation);
  });

  it('answers UNKNOWN for no key or a secret that matches nothing, which the caller reads as undefined', () => {
    expect(verifyResponseFor(undefined, ttls).outcome).toBe(VerifyOutcome.UNKNOWN);
    expect(verifyResponseFor({ ok: false, refusal: 'invalid_api_key', reason: 'secret_mismatch' }, ttls).outcome).toBe(VerifyOutcome.UNKNOWN);
    expect(evaluationFromVerifyResponse(verifyResponseFor(undefined, ttls))).toBeUndefined();
  });
});

describe('PrincipalResolver without a cache (the auth service itself)', () => {
  it('asks the verifier on every request and never remembers its answer', async () => {
    let answers = 0;
    const resolver = new PrincipalResolver(undefined, HMAC, {
      verify: async () => ({ evaluation: answers++ === 0 ? undefined : { ok: false, refusal: 'invalid_api_key', reason: 'revoked' }, cacheTtlMs: 60_000 }),
    });
    expect(await resolver.resolve(secret)).toBeUndefined();
    expect(await resolver.resolve(secret)).toMatchObject({ reason: 'revoked' });
    expect(answers).toBe(2);
  });

  it('with a cache, lets a later key-state change win over a remembered positive Verify answer', async () => {
    const cache = new KeyStateCache();
    const valid = evaluateKeyState(keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC }), hashApiKey(secret, HMAC), new Date());
    const resolver = new PrincipalResolver(cache, HMAC, { verify: async () => ({ evaluation: valid, cacheTtlMs: 60_000 }) });
    expect(await resolver.resolve(secret)).toMatchObject({ ok: true });
    cache.apply(keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, version: 2n, status: ApiKeyStatus.REVOKED }));
    expect(await resolver.resolve(secret)).toMatchObject({ ok: false, reason: 'revoked' });
  });
});

describe('ApiKeyGuard and an over-budget key', () => {
  class Routes {
    chat(): void {}
    @AllowOverBudget()
    usage(): void {}
  }
  const cache = new KeyStateCache();
  cache.apply(keyState({ keyId: 'k1', secrets: [{ secret }], hmacSecret: HMAC, budgetExceeded: true, scopes: ['chat', 'usage:read'] }));
  const guard = new ApiKeyGuard(new PrincipalResolver(cache, HMAC, { verify: async () => ({ evaluation: undefined, cacheTtlMs: 0 }) }), new Reflector());
  const contextFor = (handler: () => void, request: object) =>
    ({ switchToHttp: () => ({ getRequest: () => request }), getHandler: () => handler, getClass: () => Routes }) as never;

  it('refuses it with 403 budget_exceeded on ordinary routes', async () => {
    const error = await guard.canActivate(contextFor(Routes.prototype.chat, { headers: { authorization: `Bearer ${secret}` }, ip: '127.0.0.1' })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 403, type: 'permission_error', code: 'budget_exceeded' });
  });

  it('lets it read on routes marked AllowOverBudget, with its principal', async () => {
    const request: { headers: object; ip: string; principal?: unknown } = { headers: { authorization: `Bearer ${secret}` }, ip: '127.0.0.1' };
    await expect(guard.canActivate(contextFor(Routes.prototype.usage, request))).resolves.toBe(true);
    expect(request.principal).toMatchObject({ keyId: 'k1' });
  });
});

describe('ApiKeyGuard when the cache misses and Verify fails', () => {
  it('answers 503 auth_unavailable with Retry-After, not 401: the key may be valid', async () => {
    const resolver = new PrincipalResolver(new KeyStateCache(), HMAC, {
      verify: async () => {
        throw new Error('14 UNAVAILABLE: No connection established');
      },
    });
    const guard = new ApiKeyGuard(resolver, new Reflector());
    const request = { headers: { authorization: `Bearer ${secret}` }, ip: '127.0.0.1' };
    class Routes {
      chat(): void {}
    }
    const context = { switchToHttp: () => ({ getRequest: () => request }), getHandler: () => Routes.prototype.chat, getClass: () => Routes } as never;
    const error = await guard.canActivate(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, type: 'server_error', code: 'auth_unavailable', headers: { 'retry-after': '1' } });
  });
});
