import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import type { ModelCatalogEntry, TopicSpec } from '@vectorstack/contracts';
import type { KafkaConnection, KafkaConsumerRunner, KafkaLogger, RunningConsumer } from '@vectorstack/kafka';
import type { CatalogCache } from './catalog-cache';
import { entryFromProto } from './catalog-entry.mapper';

/** How often the committed position is compared with the start-up end offsets while catching up. */
const CATCH_UP_POLL_MS = 500;

/**
 * Keeps a CatalogCache in step with the compacted catalog topic: reads it from the beginning
 * under a consumer group of its own (every replica must see every entry), then follows it.
 * `caughtUp` resolves once every partition was read up to where it ended when the follower
 * started, so a replica does not serve before it knows the catalog.
 */
export class CatalogFollower {
  private consumer?: RunningConsumer;
  private readonly endOffsets = new Map<number, bigint>();
  private resolveCaughtUp!: () => void;
  readonly caughtUp: Promise<void> = new Promise((resolve) => (this.resolveCaughtUp = resolve));
  private isCaughtUp = false;
  private groupId = '';
  private poll?: NodeJS.Timeout;

  constructor(
    private readonly cache: CatalogCache,
    private readonly connection: KafkaConnection,
    private readonly runner: KafkaConsumerRunner,
    private readonly topic: TopicSpec<GenMessage<ModelCatalogEntry>>,
    private readonly serviceName: string,
    private readonly logger?: KafkaLogger,
  ) {}

  get ready(): boolean {
    return this.isCaughtUp;
  }

  async start(): Promise<void> {
    const admin = await this.connection.getAdmin();
    for (const { partition, high } of await admin.fetchTopicOffsets(this.topic.name)) {
      if (BigInt(high) > 0n) this.endOffsets.set(partition, BigInt(high));
    }
    this.checkCaughtUp();
    // One group per replica and start: each must read the whole topic, none shares partitions.
    this.groupId = `vectorstack-${this.serviceName}-model-catalog-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.consumer = await this.runner.runConsumer({
      groupId: this.groupId,
      topicSpec: this.topic,
      fromBeginning: true,
      maxWaitTimeMs: 100,
      handleEach: async (record) => {
        if (record.message) {
          const entry = entryFromProto(record.message);
          if (!entry) this.logger?.warn({ key: record.key, offset: record.offset }, 'skipped a catalog record without a model id');
          else {
            if (entry.deployments.length < record.message.deployments.length) {
              this.logger?.warn({ model: entry.id }, 'left out deployments of a provider this router does not know');
            }
            this.cache.apply(entry);
          }
        } else if (record.key) {
          this.cache.remove(record.key);
        }
        const end = this.endOffsets.get(record.partition);
        if (end !== undefined && BigInt(record.offset) + 1n >= end) this.endOffsets.delete(record.partition);
        this.checkCaughtUp();
      },
    });
    if (!this.isCaughtUp) this.pollCommittedOffsets();
  }

  /**
   * Compaction may have removed the record just below a partition's end (an expired
   * tombstone), so "saw the last record" can be unreachable; the group's committed
   * position reaching the end says the same thing.
   */
  private pollCommittedOffsets(): void {
    this.poll = setTimeout(async () => {
      try {
        const admin = await this.connection.getAdmin();
        const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic.name] });
        for (const { partition, offset } of committed?.partitions ?? []) {
          const end = this.endOffsets.get(partition);
          if (end !== undefined && offset !== '-1' && BigInt(offset) >= end) this.endOffsets.delete(partition);
        }
        this.checkCaughtUp();
      } catch (error) {
        this.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'model catalog offset poll failed');
      }
      if (!this.isCaughtUp && this.poll) this.pollCommittedOffsets();
    }, CATCH_UP_POLL_MS);
  }

  private checkCaughtUp(): void {
    if (this.isCaughtUp || this.endOffsets.size > 0) return;
    this.isCaughtUp = true;
    this.logger?.info({ models: this.cache.size, topic: this.topic.name }, 'model catalog caught up');
    this.resolveCaughtUp();
  }

  async stop(): Promise<void> {
    clearTimeout(this.poll);
    this.poll = undefined;
    await this.consumer?.stop();
  }
}
