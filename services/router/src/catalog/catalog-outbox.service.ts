import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { fromBinary } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { ModelCatalogEntrySchema, type ModelCatalogEntry, type TopicSpec } from '@vectorstack/contracts';
import { KafkaProducer } from '@vectorstack/kafka';
import { DataSource, type EntityManager } from 'typeorm';
import type { CatalogEntry } from './catalog-entry';
import { encodeEntry } from './catalog-entry.mapper';
import { CatalogOutboxRecord } from './catalog-outbox.entity';
import { CATALOG_TOPIC } from './catalog.tokens';

const RELAY_INTERVAL_MS = 100;
/** Published rows are kept this long (to see what was sent when), then deleted. */
const PUBLISHED_RETENTION_SECONDS = 3_600;
const PRUNE_INTERVAL_MS = 5_000;
const BATCH_SIZE = 500;
/** One relay at a time across replicas, so the records of an entry reach the compacted topic in version order. */
const RELAY_LOCK = 'vectorstack:router:model-catalog-relay';

/**
 * Transactional outbox for the catalog: `enqueue` runs inside the change's transaction, the
 * relay publishes unpublished rows in id order and marks them, so a Kafka outage delays
 * publication but loses nothing.
 */
@Injectable()
export class CatalogOutbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CatalogOutbox');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private rerun = false;
  private stopped = false;
  private lastPruneAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: KafkaProducer,
    @Inject(CATALOG_TOPIC) private readonly topic: TopicSpec<GenMessage<ModelCatalogEntry>>,
  ) {}

  /** The full state of an entry (in the caller's transaction). */
  async enqueueEntry(manager: EntityManager, entry: CatalogEntry): Promise<void> {
    await manager.insert(CatalogOutboxRecord, { modelId: entry.id, payload: encodeEntry(entry), createdAt: () => 'now()' } as never);
  }

  /** A tombstone: the entry was deleted (in the caller's transaction). */
  async enqueueTombstone(manager: EntityManager, modelId: string): Promise<void> {
    await manager.insert(CatalogOutboxRecord, { modelId, payload: null, createdAt: () => 'now()' } as never);
  }

  onApplicationBootstrap(): void {
    // The poll only starts a pass when none runs; kick() after a commit also queues one more.
    this.timer = setInterval(() => {
      if (!this.running) this.kick();
    }, RELAY_INTERVAL_MS);
    this.timer.unref();
  }

  /** Before any module shuts down: the relay needs Postgres and Kafka until its last pass ends. */
  async beforeApplicationShutdown(): Promise<void> {
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
      .catch((error: unknown) => this.logger.warn(`model catalog relay failed, will retry: ${String(error)}`))
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
      `DELETE FROM router.model_catalog_outbox WHERE published_at < now() - make_interval(secs => $1)`,
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
        .getRepository(CatalogOutboxRecord)
        .createQueryBuilder('o')
        .where('o.published_at IS NULL')
        .orderBy('o.id', 'ASC')
        .take(BATCH_SIZE)
        .getMany();
      if (records.length === 0) return 0;
      await this.producer.sendBatch(
        this.topic,
        records.map((record) => ({ key: record.modelId, message: record.payload ? fromBinary(ModelCatalogEntrySchema, record.payload) : null })),
      );
      await manager.query('UPDATE router.model_catalog_outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [records.map((r) => r.id)]);
      return records.length;
    });
  }
}
