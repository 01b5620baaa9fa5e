import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { create, toBinary } from '@bufbuild/protobuf';
import { deadLetterTopicName, UsageRecordedBatchSchema, type UsageRecorded, type UsageRecordedBatch } from '@vectorstack/contracts';
import { HIGH_VOLUME_FETCH, KafkaConnection, KafkaConsumerRunner, KafkaHeaders, KafkaProducer, uuidv7, type ConsumedRecord, type RunningConsumer } from '@vectorstack/kafka';
import { decodeUsageRecordedBatch } from '@vectorstack/usage';
import { Counter, Histogram, register } from 'prom-client';
import { METERING_OPTIONS, type MeteringOptions } from '../config/metering.config';
import { BudgetStatusRelay } from '../budgets/budget-status.relay';
import { CatalogPriceFollower } from '../pricing/catalog-price.follower';
import { ConsumerLagPoller } from './consumer-lag';
import { LedgerWriter } from './ledger-writer';
import { PartitionManager } from './partition-manager';
import { toLedgerRow, uniqueByEvent, type LedgerRow, type RecordOrigin } from './usage-event';

function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}

const events = counter('vectorstack_metering_events_total', 'Usage events consumed, by outcome (ingested, duplicate, rejected).', ['outcome']);
const unpriced = counter(
  'vectorstack_metering_unpriced_events_total',
  'Charged usage events with tokens whose model had no known price at their time (recorded with cost 0; corrected if the price arrives later).',
);
const batchSeconds =
  (register.getSingleMetric('vectorstack_metering_ingest_batch_seconds') as Histogram<string> | undefined) ??
  new Histogram({
    name: 'vectorstack_metering_ingest_batch_seconds',
    help: 'Time to write one batch of usage events (one transaction).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });

interface RejectedEvent {
  readonly record: ConsumedRecord<UsageRecordedBatch>;
  readonly event: UsageRecorded;
  readonly reason: string;
}

/** How long a failing batch is retried (Postgres down) before its records are dead-lettered: about half an hour. */
const MAX_ATTEMPTS = 200;
const START_RETRY_MS = 5_000;
const UNPRICED_LOG_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Ingests the usage topic: one consumer group shared by every replica. A fetched slice of
 * records (each a batch of events) is written in transactions of at most `batchSize` events (raw
 * events, rollups, spend, budget check), and the runner commits the Kafka offsets only after
 * them. A crash in between redelivers events the ledger already has; they are skipped by event
 * id, so nothing is counted twice. Records that cannot be decoded are dead-lettered by the
 * runner; decoded events that are not usable (no event id, no tenant, absurd values, outside
 * the retention) are dead-lettered here one by one, with the reason.
 */
@Injectable()
export class UsageIngestConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UsageIngest');
  private consumer?: RunningConsumer;
  private lag?: ConsumerLagPoller;
  private stopped = false;
  private starting?: Promise<void>;
  private signalStop!: () => void;
  private readonly stopSignal = new Promise<'stopped'>((resolve) => (this.signalStop = () => resolve('stopped')));
  private readonly unpricedLoggedAt = new Map<string, number>();

  constructor(
    private readonly runner: KafkaConsumerRunner,
    private readonly connection: KafkaConnection,
    private readonly producer: KafkaProducer,
    private readonly writer: LedgerWriter,
    private readonly partitions: PartitionManager,
    private readonly prices: CatalogPriceFollower,
    private readonly relay: BudgetStatusRelay,
    @Inject(METERING_OPTIONS) private readonly options: MeteringOptions,
  ) {}

  /** Starts in the background: the HTTP API serves while ingestion waits for its prerequisites. */
  onApplicationBootstrap(): void {
    this.starting = this.startWithRetries();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    await this.starting;
    this.lag?.stop();
    await this.consumer?.stop();
  }

  private async startWithRetries(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.start();
        return;
      } catch (error) {
        this.logger.error(`usage ingestion could not start, retrying in ${START_RETRY_MS} ms: ${error instanceof Error ? error.message : String(error)}`);
        await Promise.race([new Promise((resolve) => setTimeout(resolve, START_RETRY_MS).unref()), this.stopSignal]);
      }
    }
  }

  private async start(): Promise<void> {
    await this.partitions.start();
    if (!this.prices.ready) {
      await this.prices.start();
      // Prices first, so events are priced at ingest; a price read later still corrects them.
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.options.catalogCatchUpTimeoutMs).unref());
      if ((await Promise.race([this.prices.caughtUp.then(() => 'ok' as const), timeout, this.stopSignal])) === 'timeout') {
        this.logger.warn(`model catalog not read within ${this.options.catalogCatchUpTimeoutMs} ms; ingesting anyway (late prices correct the events)`);
      }
    }
    if (this.stopped) return;
    const { usageTopic, consumerGroup } = this.options;
    this.consumer = await this.runner.runConsumer({
      groupId: consumerGroup,
      topicSpec: usageTopic,
      fromBeginning: true,
      // Records per slice (each a batch of events; the fetch size bounds a slice's bytes). The
      // handler writes a slice's events in transactions of `batchSize` events.
      batchSize: this.options.batchSize,
      partitionsConsumedConcurrently: this.options.concurrency,
      maxAttempts: MAX_ATTEMPTS,
      ...HIGH_VOLUME_FETCH,
      decode: decodeUsageRecordedBatch,
      handler: (records) => this.handle(records),
    });
    this.lag = new ConsumerLagPoller(this.connection, usageTopic.name, consumerGroup, this.options.lagPollMs);
    this.lag.start();
    this.logger.log(`ingesting ${usageTopic.name} as group ${consumerGroup}`);
  }

  async handle(records: readonly ConsumedRecord<UsageRecordedBatch>[]): Promise<void> {
    const now = new Date();
    const accepted = { oldest: this.partitions.oldestAccepted(now), latest: new Date(now.getTime() + this.options.maxFutureSkewSeconds * 1000) };
    const rows: LedgerRow[] = [];
    const rejected: RejectedEvent[] = [];
    for (const record of records) {
      // The record's event id is the batch's: an event without its own id has none to deduplicate on.
      const origin: RecordOrigin = { eventId: undefined, partition: record.partition, offset: record.offset, timestamp: record.timestamp };
      for (const event of record.message?.events ?? []) {
        const mapped = toLedgerRow(event, origin, accepted);
        if (mapped.ok) rows.push(mapped.row);
        else rejected.push({ record, event, reason: mapped.reason });
      }
    }
    const unique = uniqueByEvent(rows);
    for (let start = 0; start < unique.length; start += this.options.batchSize) {
      await this.write(unique.slice(start, start + this.options.batchSize));
    }
    events.inc({ outcome: 'duplicate' }, rows.length - unique.length);
    // After the commits: a failure here retries the records, whose events the ledger then skips as duplicates.
    if (rejected.length > 0) {
      await this.deadLetter(rejected);
      events.inc({ outcome: 'rejected' }, rejected.length);
    }
  }

  /** One transaction. */
  private async write(rows: readonly LedgerRow[]): Promise<void> {
    const started = process.hrtime.bigint();
    const result = await this.writer.write(rows);
    batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    events.inc({ outcome: 'ingested' }, result.inserted);
    events.inc({ outcome: 'duplicate' }, rows.length - result.inserted);
    if (result.unpriced > 0) {
      unpriced.inc(result.unpriced);
      this.logUnpriced(result.unpricedModels);
    }
    if (result.budgetChanges > 0) this.relay.kick();
  }

  private logUnpriced(models: readonly string[]): void {
    const now = Date.now();
    for (const model of models) {
      if (now - (this.unpricedLoggedAt.get(model) ?? 0) < UNPRICED_LOG_INTERVAL_MS) continue;
      this.unpricedLoggedAt.set(model, now);
      this.logger.warn(`usage of model '${model}' has no price in the catalog at its time: recorded with cost 0 (re-priced if the price arrives)`);
    }
  }

  /** Each refused event on its own, as a batch of one (the topic's schema), with the reason and where it came from. */
  private async deadLetter(rejected: readonly RejectedEvent[]): Promise<void> {
    const topic = rejected[0]!.record.topic;
    await this.producer.sendRaw(
      deadLetterTopicName(topic),
      rejected.map(({ record, event, reason }) => ({
        key: record.key,
        value: Buffer.from(toBinary(UsageRecordedBatchSchema, create(UsageRecordedBatchSchema, { eventId: uuidv7(), events: [event] }))),
        headers: {
          ...record.headers,
          [KafkaHeaders.eventId]: event.eventId || record.eventId || '',
          [KafkaHeaders.dlqReason]: 'invalid-event',
          [KafkaHeaders.dlqError]: reason,
          [KafkaHeaders.dlqSourceTopic]: record.topic,
          [KafkaHeaders.dlqSourcePartition]: String(record.partition),
          [KafkaHeaders.dlqSourceOffset]: record.offset,
          [KafkaHeaders.dlqConsumerGroup]: this.options.consumerGroup,
          [KafkaHeaders.dlqFailedAt]: new Date().toISOString(),
        },
      })),
    );
    for (const { record, event, reason } of rejected) {
      this.logger.warn(`usage event ${event.eventId || '(no id)'} at ${record.topic}/${record.partition}@${record.offset} dead-lettered: ${reason}`);
    }
  }
}
