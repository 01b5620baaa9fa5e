import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { context as otelContext, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link } from '@opentelemetry/api';
import { deadLetterTopicName, type TopicSpec } from '@vectorstack/contracts';
import type { Batch, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import { eventIdOf } from './event-id';
import { buildDeadLetterHeaders, contentTypeMatches, decodeHeaders, KafkaHeaders, type DeadLetterReason } from './headers';
import type { KafkaConnection } from './kafka-connection';
import type { KafkaLogger } from './logging';
import { kafkaMetrics, type KafkaMetrics } from './metrics';
import { TRACER_NAME, type KafkaProducer } from './producer';
import { assertValidTopicName } from './topic-names';
import { extractTraceContext } from './trace-context';

/** One decoded record as a handler sees it. */
export interface ConsumedRecord<T> {
  readonly topic: string;
  /** The decoded event; `null` for a tombstone (a delete of `key` on a compacted topic). */
  readonly message: T | null;
  readonly key: string | null;
  /** The `event-id` header (or the message's `eventId`): use it to make handling idempotent. */
  readonly eventId: string | undefined;
  readonly traceparent: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly partition: number;
  readonly offset: string;
  /** Record timestamp, milliseconds since the epoch (as a string, as Kafka reports it). */
  readonly timestamp: string;
  /**
   * The OpenTelemetry context continuing the producer's trace (with the consumer span when a
   * tracer provider is registered). Per-record handlers already run inside it.
   */
  readonly context: Context;
}

export type BatchHandler<T> = (records: readonly ConsumedRecord<T>[]) => Promise<void>;
export type RecordHandler<T> = (record: ConsumedRecord<T>) => Promise<void>;

interface ConsumerOptionsBase<S extends DescMessage> {
  readonly groupId: string;
  readonly topicSpec: TopicSpec<S>;
  /** Largest slice of a fetched batch given to one handler call and committed together (default 100). */
  readonly batchSize?: number;
  /** Handler attempts before a record goes to the dead-letter topic (default 5). */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffPolicy;
  /** For a group without committed offsets: read the topic from its start (state topics) instead of new records only. */
  readonly fromBeginning?: boolean;
  readonly partitionsConsumedConcurrently?: number;
  /**
   * How long the broker waits for a silent member before giving its partitions to the others
   * (default 10 s): the pause a crashed replica causes. Heartbeats go out between slices and
   * between handler retries, so one slice's handling must stay well under this.
   */
  readonly sessionTimeoutMs?: number;
  /**
   * How often the member heartbeats (default 1000 ms). A member learns that its group is
   * rebalancing (a replica joined or left) only from a heartbeat answer, and the whole group
   * stops consuming until every member has rejoined, so this bounds that pause per member.
   */
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /**
   * Longest a fetch waits for new records (default 1000 ms). Also bounds how long `stop()` waits
   * for an idle consumer, since kafkajs lets the fetch in flight finish.
   */
  readonly maxWaitTimeMs?: number;
  /**
   * Bytes the broker gathers before answering a fetch, waiting at most `maxWaitTimeMs` for them
   * (default 1: answer as soon as there is one record). A high-volume consumer whose records may
   * wait a little (usage events) sets this so that under load each fetch, handler call and
   * offset commit carries many records instead of one producer batch each: fewer round trips
   * for the broker and the consumer alike. Records then wait up to `maxWaitTimeMs` when traffic
   * is light.
   */
  readonly minBytes?: number;
  /**
   * Records the group has nothing to do for, told by their headers alone: they are neither
   * decoded nor handed to the handler, and are committed with their slice (counted as consumed).
   * For a topic whose producers mark such records (e.g. usage batches a quota lease settled).
   */
  readonly skip?: (headers: Readonly<Record<string, string>>) => boolean;
  /**
   * Decodes a record's value instead of protobuf-es's `fromBinary`: for a high-volume topic with
   * a hand-written decoder that gives the same message (e.g. usage batches). It throws on bytes
   * that are not the message, as `fromBinary` does (the record is then dead-lettered).
   */
  readonly decode?: (bytes: Uint8Array) => MessageShape<S>;
}

/**
 * Fetch settings for a consumer of a high-volume topic whose records may wait up to 100 ms
 * (usage events): the broker answers once 64 KiB are there or 100 ms passed. Under load a fetch
 * then carries hundreds of records, not the one producer batch that minBytes 1 returns.
 */
export const HIGH_VOLUME_FETCH = { minBytes: 64 * 1024, maxWaitTimeMs: 100 } as const satisfies Pick<RunConsumerOptions<DescMessage>, 'minBytes' | 'maxWaitTimeMs'>;

/** Give exactly one of `handler` (a slice of records at a time) or `handleEach` (one record at a time). */
export type RunConsumerOptions<S extends DescMessage> = ConsumerOptionsBase<S> &
  (
    | { readonly handler: BatchHandler<MessageShape<S>>; readonly handleEach?: never }
    | { readonly handleEach: RecordHandler<MessageShape<S>>; readonly handler?: never }
  );

export interface RunningConsumer {
  readonly groupId: string;
  readonly topic: string;
  /** Finishes the handler call in flight (no further retries), commits what succeeded, leaves the group. */
  stop(): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_MAX_ATTEMPTS = 5;

/** Thrown inside the retry loop when the consumer is stopping or lost its partition. */
class ConsumptionInterrupted extends Error {}

type Decoded<T> =
  | { readonly ok: true; readonly record: ConsumedRecord<T>; readonly raw: KafkaMessage }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly error?: unknown; readonly raw: KafkaMessage; readonly headers: Record<string, string> };

/**
 * Starts consumer groups with the platform's delivery rules: offsets are committed only after
 * the handler succeeded (at-least-once), failing records are retried with backoff and then
 * parked on the topic's dead-letter topic, undecodable records go there straight away.
 */
export class KafkaConsumerRunner {
  private readonly running = new Set<RunningConsumer>();
  private readonly logger: KafkaLogger;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly producer: KafkaProducer,
    private readonly metrics: KafkaMetrics = kafkaMetrics(),
  ) {
    this.logger = connection.logger;
  }

  async runConsumer<S extends DescMessage>(options: RunConsumerOptions<S>): Promise<RunningConsumer> {
    const { topicSpec, groupId } = options;
    assertValidTopicName(topicSpec.name);
    const consumer = this.connection.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
      minBytes: options.minBytes ?? 1,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ groupId, topic: topicSpec.name, err: payload.error?.message, restart: payload.restart }, 'kafka consumer crashed');
    });

    let stopping = false;
    const processor = new BatchProcessor(options, this.producer, this.metrics, this.logger, () => stopping);
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topicSpec.name, fromBeginning: options.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => processor.process(payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }

    let stopped: Promise<void> | undefined;
    const handle: RunningConsumer = {
      groupId,
      topic: topicSpec.name,
      stop: () => {
        stopping = true;
        stopped ??= disconnect(consumer).finally(() => this.running.delete(handle));
        return stopped;
      },
    };
    this.running.add(handle);
    this.logger.info({ groupId, topic: topicSpec.name }, 'kafka consumer started');
    return handle;
  }

  /** Stops every consumer this runner started (application shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((consumer) => consumer.stop()));
  }
}

async function disconnect(consumer: Consumer): Promise<void> {
  // kafkajs waits for the eachBatch call in flight before leaving the group.
  await consumer.disconnect();
}

class BatchProcessor<S extends DescMessage> {
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly labels: { topic: string; group: string };

  constructor(
    private readonly options: RunConsumerOptions<S>,
    private readonly producer: KafkaProducer,
    private readonly metrics: KafkaMetrics,
    private readonly logger: KafkaLogger,
    private readonly isStopping: () => boolean,
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.labels = { topic: options.topicSpec.name, group: options.groupId };
  }

  async process(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    for (let start = 0; start < batch.messages.length; start += this.batchSize) {
      if (!this.canContinue(payload)) return;
      const slice = batch.messages.slice(start, start + this.batchSize);
      try {
        await this.processSlice(payload, slice);
      } catch (error) {
        if (error instanceof ConsumptionInterrupted) return; // uncommitted records are fetched again
        throw error;
      }
      const last = slice[slice.length - 1]!;
      payload.resolveOffset(last.offset);
      const next = (BigInt(last.offset) + 1n).toString();
      await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      this.recordLag(batch, next);
      await payload.heartbeat();
    }
  }

  private canContinue(payload: EachBatchPayload): boolean {
    return !this.isStopping() && payload.isRunning() && !payload.isStale();
  }

  private async processSlice(payload: EachBatchPayload, slice: KafkaMessage[]): Promise<void> {
    const { skip } = this.options;
    const decoded: Decoded<MessageShape<S>>[] = [];
    let skipped = 0;
    for (const raw of slice) {
      const headers = decodeHeaders(raw.headers);
      if (skip?.(headers)) skipped += 1;
      else decoded.push(this.decode(payload.batch, raw, headers));
    }
    if (skipped > 0) this.metrics.consumedRecords.inc(this.labels, skipped);
    const rejected = decoded.filter((d): d is Extract<Decoded<MessageShape<S>>, { ok: false }> => !d.ok);
    for (const bad of rejected) {
      await this.deadLetter(payload.batch, bad.raw, bad.headers, bad.reason, bad.error);
    }
    const records = decoded.filter((d): d is Extract<Decoded<MessageShape<S>>, { ok: true }> => d.ok);
    if (records.length === 0) return;

    if (this.options.handleEach) {
      for (const { record, raw } of records) {
        const result = await this.attempt(payload, () => this.invokeEach(record), this.maxAttempts);
        if (result.ok) this.metrics.consumedRecords.inc(this.labels);
        else await this.deadLetter(payload.batch, raw, record.headers, 'handler-failed', result.error);
        await payload.heartbeat(); // kafkajs throttles this to heartbeatInterval
      }
      return;
    }

    const result = await this.attempt(payload, () => this.invokeBatch(records.map((r) => r.record)), this.maxAttempts);
    if (result.ok) {
      this.metrics.consumedRecords.inc(this.labels, records.length);
      return;
    }
    if (records.length === 1) {
      await this.deadLetter(payload.batch, records[0]!.raw, records[0]!.record.headers, 'handler-failed', result.error);
      return;
    }
    // The slice kept failing but we cannot tell which record is at fault: give each record one
    // more try on its own, so only the records that fail alone are dead-lettered.
    for (const { record, raw } of records) {
      const single = await this.attempt(payload, () => this.invokeBatch([record]), 1);
      if (single.ok) this.metrics.consumedRecords.inc(this.labels);
      else await this.deadLetter(payload.batch, raw, record.headers, 'handler-failed', single.error);
    }
  }

  private decode(batch: Batch, raw: KafkaMessage, headers: Record<string, string>): Decoded<MessageShape<S>> {
    const { topicSpec } = this.options;
    if (raw.value === null) {
      // A null value is a delete on a compacted topic; on an event topic it is a broken record.
      if (topicSpec.cleanupPolicy !== 'compact') return { ok: false, reason: 'missing-value', raw, headers };
      return { ok: true, raw, record: this.toRecord(batch, raw, headers, null) };
    }
    if (!contentTypeMatches(headers[KafkaHeaders.contentType], topicSpec.schema)) {
      return { ok: false, reason: 'wrong-content-type', error: `content-type "${headers[KafkaHeaders.contentType]}" is not ${topicSpec.schema.typeName}`, raw, headers };
    }
    try {
      const message = this.options.decode ? this.options.decode(raw.value) : fromBinary(topicSpec.schema, raw.value);
      return { ok: true, raw, record: this.toRecord(batch, raw, headers, message) };
    } catch (error) {
      return { ok: false, reason: 'decode-failed', error, raw, headers };
    }
  }

  private toRecord(batch: Batch, raw: KafkaMessage, headers: Record<string, string>, message: MessageShape<S> | null): ConsumedRecord<MessageShape<S>> {
    const traceparent = headers[KafkaHeaders.traceparent];
    const tracestate = headers[KafkaHeaders.tracestate];
    return {
      topic: batch.topic,
      message,
      key: raw.key === null ? null : raw.key.toString('utf8'),
      eventId: headers[KafkaHeaders.eventId] ?? (message ? eventIdOf(message) : undefined),
      traceparent,
      headers,
      partition: batch.partition,
      offset: raw.offset,
      timestamp: raw.timestamp,
      context: extractTraceContext({ ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) }, ROOT_CONTEXT),
    };
  }

  /** Runs `fn` up to `attempts` times with backoff, heartbeating while it waits. */
  private async attempt(payload: EachBatchPayload, fn: () => Promise<void>, attempts: number): Promise<{ ok: true } | { ok: false; error: unknown }> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(payload, backoffDelayMs(attempt - 1, this.backoff));
        if (!this.canContinue(payload)) throw new ConsumptionInterrupted();
      }
      try {
        await fn();
        return { ok: true };
      } catch (error) {
        lastError = error;
        this.metrics.handlerFailures.inc(this.labels);
        this.logger.warn(
          { topic: this.labels.topic, group: this.labels.group, attempt, maxAttempts: attempts, err: error instanceof Error ? error.message : String(error) },
          'kafka handler failed',
        );
      }
      await payload.heartbeat();
    }
    return { ok: false, error: lastError };
  }

  private async sleep(payload: EachBatchPayload, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && this.canContinue(payload)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
      await payload.heartbeat();
    }
  }

  private invokeEach(record: ConsumedRecord<MessageShape<S>>): Promise<void> {
    const handleEach = this.options.handleEach!;
    return this.inSpan(record.context, this.recordAttributes(record), [], (ctx) => handleEach({ ...record, context: ctx }));
  }

  private invokeBatch(records: ConsumedRecord<MessageShape<S>>[]): Promise<void> {
    const handler = this.options.handler!;
    if (records.length === 1) {
      const record = records[0]!;
      return this.inSpan(record.context, this.recordAttributes(record), [], (ctx) => handler([{ ...record, context: ctx }]));
    }
    // Records of one batch belong to different traces: the batch span links to each of them
    // (messaging semantic conventions) rather than picking one parent.
    const links: Link[] = records.map((r) => trace.getSpanContext(r.context)).filter((sc) => sc !== undefined).map((context) => ({ context }));
    return this.inSpan(otelContext.active(), { ...this.baseAttributes(), 'messaging.batch.message_count': records.length }, links, () => handler(records));
  }

  private async inSpan(parent: Context, attributes: Attributes, links: Link[], fn: (ctx: Context) => Promise<void>): Promise<void> {
    const span = trace.getTracer(TRACER_NAME).startSpan(`${this.labels.topic} process`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
    const ctx = trace.setSpan(parent, span);
    try {
      await otelContext.with(ctx, () => fn(ctx));
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  private baseAttributes(): Attributes {
    return {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': this.labels.topic,
      'messaging.consumer.group.name': this.labels.group,
    };
  }

  private recordAttributes(record: ConsumedRecord<unknown>): Attributes {
    return {
      ...this.baseAttributes(),
      'messaging.destination.partition.id': String(record.partition),
      'messaging.kafka.offset': Number(record.offset),
      ...(record.key !== null ? { 'messaging.kafka.message.key': record.key } : {}),
      ...(record.message === null ? { 'messaging.kafka.message.tombstone': true } : {}),
      ...(record.eventId ? { 'messaging.message.id': record.eventId } : {}),
    };
  }

  private async deadLetter(batch: Batch, raw: KafkaMessage, headers: Record<string, string>, reason: DeadLetterReason, error: unknown): Promise<void> {
    const dlqTopic = deadLetterTopicName(batch.topic);
    await this.producer.sendRaw(dlqTopic, [
      {
        key: raw.key,
        value: raw.value,
        headers: buildDeadLetterHeaders({
          original: headers,
          reason,
          error,
          sourceTopic: batch.topic,
          partition: batch.partition,
          offset: raw.offset,
          consumerGroup: this.labels.group,
        }),
      },
    ]);
    this.metrics.deadLetterRecords.inc({ ...this.labels, reason });
    this.logger.warn({ topic: batch.topic, group: this.labels.group, partition: batch.partition, offset: raw.offset, reason, dlqTopic }, 'kafka record dead-lettered');
  }

  private recordLag(batch: Batch, nextOffset: string): void {
    const lag = BigInt(batch.highWatermark) - BigInt(nextOffset);
    this.metrics.consumerLag.set({ ...this.labels, partition: String(batch.partition) }, Number(lag > 0n ? lag : 0n));
  }
}
