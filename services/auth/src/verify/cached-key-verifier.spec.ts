import { create, toBinary } from '@bufbuild/protobuf';
import { generateApiKey, hashApiKey, KeyStateCache } from '@vectorstack/auth-guard';
import { ApiKeyStateSchema, ApiKeyStatus, Tier, type ApiKeyState } from '@vectorstack/contracts';
import type { EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { CachedKeyVerifier } from './cached-key-verifier';

const HMAC_SECRET = 'x'.repeat(32);

function keyState(secret: string, version: bigint, status = ApiKeyStatus.ACTIVE): ApiKeyState {
  return create(ApiKeyStateSchema, {
    principal: { tenantId: 't1', keyId: 'k1', tier: Tier.PRO, scopes: ['chat'] },
    status,
    secretHashes: [{ hmacSha256: hashApiKey(secret, HMAC_SECRET) }],
    version,
  });
}

describe('CachedKeyVerifier', () => {
  const secret = generateApiKey();
  let cache: KeyStateCache;
  let follower: { ready: boolean; start: jest.Mock; stop: jest.Mock };
  let postgres: { evaluate: jest.Mock };
  let subscribers: EntitySubscriberInterface[];
  let verifier: CachedKeyVerifier;

  /** One transaction of auth writing `state` to the key-state outbox, through the registered subscriber. */
  function writeInTransaction(state: ApiKeyState, outcome: 'commit' | 'rollback') {
    const [writes] = subscribers;
    const queryRunner = { isTransactionActive: true, transactionDepth: 1 } as unknown as QueryRunner;
    writes.afterTransactionStart?.({ queryRunner } as never);
    writes.afterInsert?.({ queryRunner, entity: { keyId: 'k1', payload: Buffer.from(toBinary(ApiKeyStateSchema, state)) } } as never);
    return () => {
      Object.assign(queryRunner, { isTransactionActive: false, transactionDepth: 0 });
      if (outcome === 'commit') writes.afterTransactionCommit?.({ queryRunner } as never);
      else writes.afterTransactionRollback?.({ queryRunner } as never);
    };
  }

  beforeEach(() => {
    cache = new KeyStateCache();
    follower = { ready: true, start: jest.fn().mockResolvedValue(undefined), stop: jest.fn().mockResolvedValue(undefined) };
    postgres = { evaluate: jest.fn().mockResolvedValue(undefined) };
    subscribers = [];
    verifier = new CachedKeyVerifier(postgres, HMAC_SECRET, cache, follower, subscribers);
  });

  it('answers a key the cache holds from memory, and asks Postgres about any other secret', async () => {
    cache.apply(keyState(secret, 1n));
    expect(await verifier.evaluate(secret)).toMatchObject({ ok: true, principal: { keyId: 'k1', tier: 'pro' } });
    expect(postgres.evaluate).not.toHaveBeenCalled();

    const other = generateApiKey();
    expect(await verifier.evaluate(other)).toBeUndefined();
    expect(postgres.evaluate).toHaveBeenCalledWith(other, expect.any(Date));
  });

  it('asks Postgres for everything until the cache has caught up with the topic', async () => {
    follower.ready = false;
    cache.apply(keyState(secret, 1n));
    await verifier.evaluate(secret);
    expect(postgres.evaluate).toHaveBeenCalledTimes(1);
  });

  it('refuses a key revoked by this process as soon as the revocation committed, without waiting for the topic', async () => {
    cache.apply(keyState(secret, 1n));
    const commit = writeInTransaction(keyState(secret, 2n, ApiKeyStatus.REVOKED), 'commit');
    // Not committed yet: the key is still valid, in Postgres too.
    expect(await verifier.evaluate(secret)).toMatchObject({ ok: true });
    commit();
    expect(await verifier.evaluate(secret)).toEqual({ ok: false, refusal: 'invalid_api_key', reason: 'revoked' });
    expect(postgres.evaluate).not.toHaveBeenCalled();
    // The same record arriving later over the topic changes nothing.
    cache.apply(keyState(secret, 2n, ApiKeyStatus.REVOKED));
    expect(await verifier.evaluate(secret)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('keeps the committed state when the transaction rolled back', async () => {
    cache.apply(keyState(secret, 1n));
    writeInTransaction(keyState(secret, 2n, ApiKeyStatus.REVOKED), 'rollback')();
    expect(await verifier.evaluate(secret)).toMatchObject({ ok: true });
  });

  it('sends a key whose state is uncertain to Postgres from then on', async () => {
    cache.apply(keyState(secret, 1n));
    verifier.uncertain([keyState(secret, 2n, ApiKeyStatus.REVOKED)]);
    await verifier.evaluate(secret);
    expect(postgres.evaluate).toHaveBeenCalledTimes(1);
  });

  it('starts following the topic without holding up start-up, and stops it on shutdown', async () => {
    follower.start.mockReturnValue(new Promise(() => undefined));
    verifier.onApplicationBootstrap();
    expect(follower.start).toHaveBeenCalled();
    await verifier.onApplicationShutdown();
    expect(follower.stop).toHaveBeenCalled();
  });
});
