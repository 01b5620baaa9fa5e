import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Topics, type ModelCatalogEntry } from '@vectorstack/contracts';
import { KafkaConnection, KafkaConsumerRunner, type ConsumedRecord, type RunningConsumer } from '@vectorstack/kafka';
import { PriceHistory } from './price-history.service';

const CATCH_UP_POLL_MS = 500;

/**
 * Follows the router's compacted catalog topic from the beginning under a consumer group of its
 * own (every replica reads it; the price history table is shared and writes are idempotent) and
 * records price changes. `caughtUp` resolves once the topic was read up to where it ended at
 * start-up, so ingestion starts with the prices known.
 */
@Injectable()
export class CatalogPriceFollower implements OnApplicationShutdown {
  private readonly logger = new Logger('CatalogPrices');
  private consumer?: RunningConsumer;
  private readonly endOffsets = new Map<number, bigint>();
  private resolveCaughtUp!: () => void;
  readonly caughtUp: Promise<void> = new Promise((resolve) => (this.resolveCaughtUp = resolve));
  private isCaughtUp = false;
  private groupId = '';
  private poll?: NodeJS.Timeout;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly runner: KafkaConsumerRunner,
    private readonly prices: PriceHistory,
  ) {}

  get ready(): boolean {
    return this.isCaughtUp;
  }

  /** Starts following (once; later calls return at once). */
  async start(): Promise<void> {
    if (this.consumer) return;
    const admin = await this.connection.getAdmin();
    for (const { partition, high } of await admin.fetchTopicOffsets(Topics.modelCatalog.name)) {
      if (BigInt(high) > 0n) this.endOffsets.set(partition, BigInt(high));
    }
    this.groupId = `vectorstack-metering-prices-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.consumer = await this.runner.runConsumer({
      groupId: this.groupId,
      topicSpec: Topics.modelCatalog,
      fromBeginning: true,
      maxWaitTimeMs: 250,
      handler: (records) => this.handle(records),
    });
    this.checkCaughtUp();
    if (!this.isCaughtUp) this.pollCommittedOffsets();
  }

  private async handle(records: readonly ConsumedRecord<ModelCatalogEntry>[]): Promise<void> {
    // Records of one model are in one partition, in order; a tombstone keeps the model's history
    // (events that occurred while it existed stay priced).
    for (const record of records) {
      if (record.message) await this.prices.apply(record.message);
    }
    for (const record of records) {
      const end = this.endOffsets.get(record.partition);
      if (end !== undefined && BigInt(record.offset) + 1n >= end) this.endOffsets.delete(record.partition);
    }
    this.checkCaughtUp();
  }

  /** Compaction may have removed the records just below the end; the committed position says the same. */
  private pollCommittedOffsets(): void {
    this.poll = setTimeout(async () => {
      try {
        const admin = await this.connection.getAdmin();
        const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [Topics.modelCatalog.name] });
        for (const { partition, offset } of committed?.partitions ?? []) {
          const end = this.endOffsets.get(partition);
          if (end !== undefined && offset !== '-1' && BigInt(offset) >= end) this.endOffsets.delete(partition);
        }
        this.checkCaughtUp();
      } catch (error) {
        this.logger.warn(`catalog offset poll failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!this.isCaughtUp && this.poll) this.pollCommittedOffsets();
    }, CATCH_UP_POLL_MS);
  }

  private checkCaughtUp(): void {
    if (this.isCaughtUp || this.endOffsets.size > 0) return;
    this.isCaughtUp = true;
    this.logger.log('model catalog prices caught up');
    this.resolveCaughtUp();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.poll);
    this.poll = undefined;
    await this.consumer?.stop();
  }
}
