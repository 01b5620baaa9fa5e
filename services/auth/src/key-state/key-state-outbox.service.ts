import { Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { fromBinary } from '@bufbuild/protobuf';
import { ApiKeyStateSchema, Topics } from '@vectorstack/contracts';
import { OutboxRelay } from '@vectorstack/database';
import { KafkaProducer } from '@vectorstack/kafka';
import { DataSource, type EntityManager } from 'typeorm';
import { budgetBlocksFor } from '../budgets/budget-blocks';
import type { ApiKey } from '../keys/api-key.entity';
import { Tenant } from '../tenants/tenant.entity';
import { apiKeyState, encodeApiKeyState } from './api-key-state.mapper';
import { KeyStateOutboxRecord } from './key-state-outbox.entity';

/** How long a key change's answer waits for its key state to reach the topic. */
const KEY_STATE_PUBLISH_WAIT_MS = 2_000;

/**
 * Transactional outbox for ApiKeyState: `enqueue` runs inside the change's transaction,
 * the relay publishes unpublished rows in id order and marks them, so a Kafka outage
 * delays publication but loses nothing.
 */
@Injectable()
export class KeyStateOutbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly relay: OutboxRelay<KeyStateOutboxRecord>;

  constructor(dataSource: DataSource, producer: KafkaProducer) {
    this.relay = new OutboxRelay({
      dataSource,
      entity: KeyStateOutboxRecord,
      // One relay at a time across replicas, so records of a key reach the compacted topic in version order.
      lockName: 'vectorstack:auth:key-state-relay',
      name: 'key-state relay',
      logger: new Logger('KeyStateOutbox'),
      publish: (records) =>
        producer.sendBatch(
          Topics.apiKeyState,
          records.map((record) => ({ key: record.keyId, message: fromBinary(ApiKeyStateSchema, record.payload) })),
        ),
    });
  }

  /** Writes the full state of each key (in the caller's transaction), budget blocks included. */
  async enqueue(manager: EntityManager, keys: readonly ApiKey[]): Promise<void> {
    if (keys.length === 0) return;
    const tenantIds = [...new Set(keys.map((key) => key.tenantId))];
    const tenants = await manager.getRepository(Tenant).findBy(tenantIds.map((id) => ({ id })));
    const disabled = new Set(tenants.filter((tenant) => tenant.status === 'disabled').map((tenant) => tenant.id));
    const blocks = await budgetBlocksFor(manager, keys);
    const now = new Date();
    await manager.insert(
      KeyStateOutboxRecord,
      keys.map((key) => ({
        keyId: key.id,
        payload: encodeApiKeyState(apiKeyState(key, disabled.has(key.tenantId), now, blocks.get(key.id) ?? null)),
        createdAt: () => 'now()',
      })) as never,
    );
  }

  /** Publish now (called after a commit); coalesces with a relay pass already in progress. */
  kick(): void {
    this.relay.kick();
  }

  /**
   * Publish now and wait (at most `timeoutMs`) until the key states committed so far are on the
   * topic, so a key change is visible to every service's key cache when the API answers: a key
   * can be given a budget (metering looks its owner up in its cache) the moment it exists. With
   * Kafka down the change is answered anyway after the wait; the outbox publishes it later.
   */
  async publishCommitted(timeoutMs = KEY_STATE_PUBLISH_WAIT_MS): Promise<void> {
    await this.relay.flush(timeoutMs);
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}
