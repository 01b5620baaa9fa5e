import type { OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { KeyHasher, KeyStateCache, KeyStateFollower, type KeyEvaluation } from '@vectorstack/auth-guard';
import { Topics, type ApiKeyState } from '@vectorstack/contracts';
import { KafkaConnection, KafkaConsumerRunner } from '@vectorstack/kafka';
import { createLogger } from '@vectorstack/observability';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { DataSource, type EntitySubscriberInterface } from 'typeorm';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth.config';
import { OwnKeyStateWrites, type KeyStateWriteSink } from './own-key-state-writes';
import { PostgresKeyVerifier } from './postgres-key-verifier';

const verifyAnswers = new Counter({
  name: 'vectorstack_auth_verify_answers_total',
  help: 'Verify evaluations by where the key state came from: the in-memory key-state cache or Postgres.',
  labelNames: ['source'] as const,
});

/**
 * What Verify evaluates keys with: the key-state cache every other service keeps (the compacted
 * key-state topic, read whole and followed), answered from memory, else Postgres.
 *
 * - A hash the cache does not hold (a key created a moment ago on another replica, or a secret no
 *   key has) is looked up in Postgres, so an unknown key is never answered from memory.
 * - This process's own key changes reach the cache when their transaction commits, before the
 *   writer answers (OwnKeyStateWrites): a key revoked, rotated or disabled through this replica
 *   is refused at once, exactly as from Postgres.
 * - A change made through another auth replica arrives over the topic, within the time every
 *   other service's guard takes to see it (about 150 ms), and a newer state always wins.
 * - Until the cache has read the topic up to where it ended at start-up, everything goes to
 *   Postgres; so do keys whose state is uncertain (a partly rolled-back transaction).
 *
 * Both paths evaluate the same ApiKeyState with the guard's own `evaluateKeyState`, so their
 * answers agree.
 */
export class CachedKeyVerifier implements KeyStateWriteSink, OnApplicationBootstrap, OnApplicationShutdown {
  /** Hex hashes of keys whose current state this process cannot vouch for. */
  private readonly distrusted = new Set<string>();
  private readonly hasher: KeyHasher;

  /**
   * `cache` is the one `follower` fills from the topic; `subscribers` is the DataSource's list
   * (this registers OwnKeyStateWrites in it). Built by `cachedKeyVerifierProvider`.
   */
  constructor(
    private readonly postgres: Pick<PostgresKeyVerifier, 'evaluate'>,
    hmacSecret: string,
    private readonly cache: KeyStateCache,
    private readonly follower: Pick<KeyStateFollower, 'ready' | 'start' | 'stop'>,
    subscribers: EntitySubscriberInterface[],
    private readonly logger?: Logger,
  ) {
    subscribers.push(new OwnKeyStateWrites(this));
    this.hasher = new KeyHasher(hmacSecret);
  }

  /** The evaluation Verify answers with; undefined when no key has this secret. */
  async evaluate(secret: string, now: Date = new Date()): Promise<KeyEvaluation | undefined> {
    if (this.follower.ready) {
      const { hash, hex } = this.hasher.hash(secret);
      if (!this.distrusted.has(hex)) {
        const evaluation = this.cache.evaluate(hash, now, hex);
        if (evaluation !== undefined) {
          verifyAnswers.inc({ source: 'cache' });
          return evaluation;
        }
      }
    }
    verifyAnswers.inc({ source: 'postgres' });
    return this.postgres.evaluate(secret, now);
  }

  committed(states: readonly ApiKeyState[]): void {
    for (const state of states) this.cache.apply(state);
  }

  uncertain(states: readonly ApiKeyState[]): void {
    for (const state of states) {
      const held = state.principal ? this.cache.stateOf(state.principal.keyId) : undefined;
      for (const { hmacSha256 } of [...state.secretHashes, ...(held?.secretHashes ?? [])]) this.distrusted.add(Buffer.from(hmacSha256).toString('hex'));
    }
  }

  onApplicationBootstrap(): void {
    // Not awaited: Verify is answered from Postgres until the cache caught up, so start-up does not wait for Kafka.
    this.follower.start().catch((error: unknown) => this.logger?.warn({ err: error }, 'Verify key cache did not start; Verify keeps answering from Postgres'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.follower.stop();
  }
}

/** The Nest provider: the cache and its follower on the key-state topic, the DataSource's subscribers. */
export const cachedKeyVerifierProvider: Provider = {
  provide: CachedKeyVerifier,
  inject: [PostgresKeyVerifier, AUTH_CONFIG, DataSource, KafkaConnection, KafkaConsumerRunner],
  useFactory: (postgres: PostgresKeyVerifier, config: AuthConfig, dataSource: DataSource, connection: KafkaConnection, runner: KafkaConsumerRunner) => {
    const logger = createLogger('auth').child({ context: 'VerifyKeyCache' });
    const cache = new KeyStateCache();
    const follower = new KeyStateFollower(cache, connection, runner, Topics.apiKeyState, 'auth-verify', logger);
    return new CachedKeyVerifier(postgres, config.KEY_HASH_SECRET, cache, follower, dataSource.subscribers, logger);
  },
};
