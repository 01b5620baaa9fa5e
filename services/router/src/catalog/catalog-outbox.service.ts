import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { fromBinary } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { ModelCatalogEntrySchema, type ModelCatalogEntry, type TopicSpec } from '@vectorstack/contracts';
import { OutboxRelay } from '@vectorstack/database';
import { KafkaProducer } from '@vectorstack/kafka';
import { DataSource, type EntityManager } from 'typeorm';
import type { CatalogEntry } from './catalog-entry';
import { encodeEntry } from './catalog-entry.mapper';
import { CatalogOutboxRecord } from './catalog-outbox.entity';
import { CATALOG_TOPIC } from './catalog.tokens';

/**
 * Transactional outbox for the catalog: `enqueue` runs inside the change's transaction, the
 * relay publishes unpublished rows in id order and marks them, so a Kafka outage delays
 * publication but loses nothing.
 */
@Injectable()
export class CatalogOutbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly relay: OutboxRelay<CatalogOutboxRecord>;

  constructor(dataSource: DataSource, producer: KafkaProducer, @Inject(CATALOG_TOPIC) topic: TopicSpec<GenMessage<ModelCatalogEntry>>) {
    this.relay = new OutboxRelay({
      dataSource,
      entity: CatalogOutboxRecord,
      // One relay at a time across replicas, so the records of an entry reach the compacted topic in version order.
      lockName: 'vectorstack:router:model-catalog-relay',
      name: 'model catalog relay',
      logger: new Logger('CatalogOutbox'),
      publish: (records) =>
        producer.sendBatch(
          topic,
          records.map((record) => ({ key: record.modelId, message: record.payload ? fromBinary(ModelCatalogEntrySchema, record.payload) : null })),
        ),
    });
  }

  /** The full state of an entry (in the caller's transaction). */
  async enqueueEntry(manager: EntityManager, entry: CatalogEntry): Promise<void> {
    await manager.insert(CatalogOutboxRecord, { modelId: entry.id, payload: encodeEntry(entry), createdAt: () => 'now()' } as never);
  }

  /** A tombstone: the entry was deleted (in the caller's transaction). */
  async enqueueTombstone(manager: EntityManager, modelId: string): Promise<void> {
    await manager.insert(CatalogOutboxRecord, { modelId, payload: null, createdAt: () => 'now()' } as never);
  }

  /** Publish now (called after a commit); coalesces with a relay pass already in progress. */
  kick(): void {
    this.relay.kick();
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  /** Before any module shuts down: the relay needs Postgres and Kafka until its last pass ends. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}
