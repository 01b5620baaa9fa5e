import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { fromBinary } from '@bufbuild/protobuf';
import { ApiKeyStateSchema, Topics } from '@vectorstack/contracts';
import { KafkaProducer } from '@vectorstack/kafka';
import { DataSource, type EntityManager } from 'typeorm';
import type { ApiKey } from '../keys/api-key.entity';
import { Tenant } from '../tenants/tenant.entity';
import { apiKeyState, encodeApiKeyState } from './api-key-state.mapper';
import { KeyStateOutboxRecord } from './key-state-outbox.entity';

const RELAY_INTERVAL_MS = 100;
/** Published rows are kept this long (to see what was sent when), then deleted. */
const PUBLISHED_RETENTION_SECONDS = 3_600;
const PRUNE_INTERVAL_MS = 5_000;
const BATCH_SIZE = 500;
/** One relay at a time across replicas, so records of a key reach the compacted topic in version order. */
const RELAY_LOCK = 'vectorstack:auth:key-state-relay';

/**
 * Transactional outbox for ApiKeyState: `enqueue` runs inside the change's transaction,
 * the relay publishes unpublished rows in id order and marks them, so a Kafka outage
 * delays publication but loses nothing.
 */
@Injectable()
export class KeyStateOutbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('KeyStateOutbox');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private rerun = false;
  private stopped = false;
  private lastPruneAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: KafkaProducer,
  ) {}

  /** Writes the full state of each key (in the caller's transaction). */
  async enqueue(manager: EntityManager, keys: readonly ApiKey[]): Promise<void> {
    if (keys.length === 0) return;
    const tenantIds = [...new Set(keys.map((key) => key.tenantId))];
    const tenants = await manager.getRepository(Tenant).findBy(tenantIds.map((id) => ({ id })));
    const disabled = new Set(tenants.filter((tenant) => tenant.status === 'disabled').map((tenant) => tenant.id));
    await manager.insert(
      KeyStateOutboxRecord,
      keys.map((key) => ({ keyId: key.id, payload: encodeApiKeyState(apiKeyState(key, disabled.has(key.tenantId))), createdAt: () => 'now()' })) as never,
    );
  }

  onApplicationBootstrap(): void {
    // The poll only starts a pass when none runs; kick() after a commit also queues one more.
    this.timer = setInterval(() => {
      if (!this.running) this.kick();
    }, RELAY_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Publish now (called after a commit); coalesces with a relay pass already in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.relayUntilDrained()
      .catch((error: unknown) => this.logger.warn(`key-state relay failed, will retry: ${String(error)}`))
      .finally(() => {
        this.running = undefined;
        if (this.rerun && !this.stopped) {
          this.rerun = false;
          this.kick();
        }
      });
  }

  private async relayUntilDrained(): Promise<void> {
    while (!this.stopped && (await this.relayOnce()) === BATCH_SIZE);
    if (Date.now() - this.lastPruneAt >= PRUNE_INTERVAL_MS) {
      this.lastPruneAt = Date.now();
      await this.prunePublished();
    }
  }

  /** Deletes rows published longer ago than the retention: the topic, not this table, is the record. */
  async prunePublished(): Promise<number> {
    const [, deleted] = await this.dataSource.query(
      `DELETE FROM auth.key_state_outbox WHERE published_at < now() - make_interval(secs => $1)`,
      [PUBLISHED_RETENTION_SECONDS],
    );
    return deleted as number;
  }

  /** Publishes one batch; returns how many records were published. */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [RELAY_LOCK]);
      if (!locked) return 0;
      const records = await manager
        .getRepository(KeyStateOutboxRecord)
        .createQueryBuilder('o')
        .where('o.published_at IS NULL')
        .orderBy('o.id', 'ASC')
        .take(BATCH_SIZE)
        .getMany();
      if (records.length === 0) return 0;
      await this.producer.sendBatch(
        Topics.apiKeyState,
        records.map((record) => ({ key: record.keyId, message: fromBinary(ApiKeyStateSchema, record.payload) })),
      );
      await manager.query('UPDATE auth.key_state_outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [records.map((r) => r.id)]);
      return records.length;
    });
  }
}
