import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { TopicSpec } from '@vectorstack/contracts';
import type { ConsumedRecord, KafkaConsumerRunner, RunningConsumer } from './consumer';
import type { KafkaConnection } from './kafka-connection';
import type { KafkaLogger } from './logging';

/** How often the committed position is compared with the start-up end offsets while catching up. */
const CATCH_UP_POLL_MS = 500;

export interface CompactedTopicFollowerOptions<S extends DescMessage> {
  readonly connection: KafkaConnection;
  readonly runner: KafkaConsumerRunner;
  readonly topic: TopicSpec<S>;
  /** Start of this replica's consumer group id; the host, the pid and a random part are appended. */
  readonly groupIdPrefix: string;
  /** The latest value of a key. */
  readonly onValue: (message: MessageShape<S>, record: ConsumedRecord<MessageShape<S>>) => void;
  /** A tombstone: the key was deleted. (Tombstones without a key are skipped.) */
  readonly onTombstone: (key: string) => void;
  /** Names the follower in log lines, e.g. "key cache". */
  readonly label: string;
  /** Logged with "caught up", e.g. how many keys the state holds. */
  readonly caughtUpFields?: () => Record<string, unknown>;
  readonly logger?: KafkaLogger;
  /**
   * Longest an idle fetch waits on the broker (default 1000 ms). A new record is returned as soon
   * as it is written (the fetch asks for at least one byte), so this does not delay changes; it
   * sets how often an idle follower polls, and bounds how long `stop()` waits.
   */
  readonly maxWaitTimeMs?: number;
}

const DEFAULT_MAX_WAIT_TIME_MS = 1_000;

interface SyncWaiter {
  /** The follower applied a partition up to `position` (exclusive). */
  advanced(partition: number, position: bigint): void;
}

/**
 * Keeps in-memory state in step with a compacted topic: reads it from the beginning under a
 * consumer group of its own (every replica must see every key), then follows it. `caughtUp`
 * resolves once every partition was read up to where it ended when the follower started, so
 * a replica does not serve before it knows the state.
 */
export class CompactedTopicFollower<S extends DescMessage> {
  private consumer?: RunningConsumer;
  private readonly endOffsets = new Map<number, bigint>();
  private resolveCaughtUp!: () => void;
  readonly caughtUp: Promise<void> = new Promise((resolve) => (this.resolveCaughtUp = resolve));
  private isCaughtUp = false;
  private groupId = '';
  private poll?: NodeJS.Timeout;
  /** Per partition, the offset after the last record applied. */
  private readonly positions = new Map<number, bigint>();
  private readonly syncWaiters = new Set<SyncWaiter>();

  constructor(private readonly options: CompactedTopicFollowerOptions<S>) {}

  get ready(): boolean {
    return this.isCaughtUp;
  }

  async start(): Promise<void> {
    const { connection, topic } = this.options;
    const admin = await connection.getAdmin();
    for (const { partition, high } of await admin.fetchTopicOffsets(topic.name)) {
      if (BigInt(high) > 0n) this.endOffsets.set(partition, BigInt(high));
    }
    this.checkCaughtUp();
    // One group per replica and start: each must read the whole topic, none shares partitions.
    this.groupId = `${this.options.groupIdPrefix}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.consumer = await this.options.runner.runConsumer({
      groupId: this.groupId,
      topicSpec: topic,
      fromBeginning: true,
      maxWaitTimeMs: this.options.maxWaitTimeMs ?? DEFAULT_MAX_WAIT_TIME_MS,
      handleEach: async (record) => {
        if (record.message) this.options.onValue(record.message, record);
        else if (record.key) this.options.onTombstone(record.key);
        const next = BigInt(record.offset) + 1n;
        const end = this.endOffsets.get(record.partition);
        if (end !== undefined && next >= end) this.endOffsets.delete(record.partition);
        this.positions.set(record.partition, next);
        for (const waiter of this.syncWaiters) waiter.advanced(record.partition, next);
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
        const admin = await this.options.connection.getAdmin();
        const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.options.topic.name] });
        for (const { partition, offset } of committed?.partitions ?? []) {
          const end = this.endOffsets.get(partition);
          if (end !== undefined && offset !== '-1' && BigInt(offset) >= end) this.endOffsets.delete(partition);
        }
        this.checkCaughtUp();
      } catch (error) {
        this.options.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, `${this.options.label} offset poll failed`);
      }
      if (!this.isCaughtUp && this.poll) this.pollCommittedOffsets();
    }, CATCH_UP_POLL_MS);
  }

  /**
   * Waits until this replica has applied every partition up to where it ends now, so a change
   * acknowledged elsewhere a moment ago is visible here; gives up after `timeoutMs`. Resolves
   * true when it got there (false on timeout, or when the end offsets could not be read). For a
   * lookup that missed and might be about something just written (a key created a moment ago).
   */
  async syncToEnd(timeoutMs: number): Promise<boolean> {
    let targets: Map<number, bigint>;
    try {
      const admin = await this.options.connection.getAdmin();
      const ends = await admin.fetchTopicOffsets(this.options.topic.name);
      targets = new Map(ends.map(({ partition, high }) => [partition, BigInt(high)] as const).filter(([partition, high]) => high > (this.positions.get(partition) ?? 0n)));
    } catch (error) {
      this.options.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, `${this.options.label} end offsets unavailable`);
      return false;
    }
    if (targets.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.syncWaiters.delete(waiter);
        resolve(ok);
      };
      const waiter: SyncWaiter = {
        advanced: (partition, position) => {
          const target = targets.get(partition);
          if (target !== undefined && position >= target) targets.delete(partition);
          if (targets.size === 0) finish(true);
        },
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.syncWaiters.add(waiter);
    });
  }

  private checkCaughtUp(): void {
    if (this.isCaughtUp || this.endOffsets.size > 0) return;
    this.isCaughtUp = true;
    this.options.logger?.info({ ...this.options.caughtUpFields?.(), topic: this.options.topic.name }, `${this.options.label} caught up`);
    this.resolveCaughtUp();
  }

  async stop(): Promise<void> {
    clearTimeout(this.poll);
    this.poll = undefined;
    await this.consumer?.stop();
  }
}
