import { create, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { context as otelContext, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { TopicSpec } from '@vectorstack/contracts';
import { Partitioners, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import { eventIdOf, uuidv7 } from './event-id';
import { buildRecordHeaders } from './headers';
import type { KafkaConnection } from './kafka-connection';
import { kafkaMetrics, type KafkaMetrics } from './metrics';
import { assertValidTopicName } from './topic-names';
import { extractTraceContext, parseTraceparent, traceHeadersFor } from './trace-context';

export const TRACER_NAME = '@vectorstack/kafka';

export interface OutgoingEvent<S extends DescMessage> {
  /** The partitioning key (see the topic's `keyedBy`); records with one key stay ordered. */
  readonly key: string | null;
  /**
   * The event. `null` is a tombstone (delete of `key`) and only allowed on compacted topics.
   * When the schema has an empty `eventId` field it is filled with the id put in the header.
   */
  readonly message: MessageShape<S> | MessageInitShape<S> | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Continue this trace instead of the active OpenTelemetry context (e.g. from a job payload). */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export interface SentEvent {
  readonly topic: string;
  readonly eventId: string;
  readonly traceparent: string;
}

export interface SentRecord extends SentEvent {
  readonly partition: number;
  /** Offset the broker assigned to the record. */
  readonly offset: string;
}

/**
 * An event its producer encoded itself (with `topic.schema`), e.g. a batch assembled from
 * events encoded as they happened. It gets the same headers and tracing as `send`'s.
 */
export interface EncodedEvent {
  readonly key: string | null;
  readonly value: Uint8Array;
  /** The id the payload carries (its eventId field), put in the event-id header. */
  readonly eventId: string;
  /** Headers of the topic's own contract, added to the platform's. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Bytes as they are, for dead-letter forwarding and tools; events go through `send`. */
export interface RawRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

const SEND_TIMEOUT_MS = 30_000;

/**
 * The one producer of a process. Idempotent (the broker drops duplicates of a retried batch)
 * with acks from all in-sync replicas; `send` resolves only when the broker acknowledged.
 *
 * `maxInFlightRequests: 1`: kafkajs tracks idempotent sequence numbers per partition and, unlike
 * the Java client, does not reorder in-flight retries, so concurrent requests can fail with
 * OUT_OF_ORDER_SEQUENCE_NUMBER; one request at a time is the documented safe setting.
 * Retries are bounded (kafkajs would retry an idempotent send forever) so that `send` rejects
 * when the cluster is gone instead of hanging a request or a shutdown.
 */
export class KafkaProducer {
  private readonly producer: Producer;
  private connecting?: Promise<void>;
  private readonly metrics: KafkaMetrics;

  constructor(private readonly connection: KafkaConnection, metrics: KafkaMetrics = kafkaMetrics()) {
    this.metrics = metrics;
    this.producer = connection.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 6 },
      // murmur2, the Java client's partitioner: every client maps a key to the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async disconnect(): Promise<void> {
    if (!this.connecting) return;
    await this.connecting.catch(() => undefined);
    this.connecting = undefined;
    await this.producer.disconnect();
  }

  /** Encodes and sends one event; resolves with its id once the broker acknowledged it. */
  async send<S extends DescMessage>(topic: TopicSpec<S>, event: OutgoingEvent<S>): Promise<SentRecord> {
    const { sent, metadata } = await this.produce(topic, [event]);
    return { ...sent[0]!, partition: metadata[0]?.partition ?? -1, offset: metadata[0]?.baseOffset ?? '-1' };
  }

  /** Sends several events to one topic in one request; resolves when all were acknowledged. */
  async sendBatch<S extends DescMessage>(topic: TopicSpec<S>, events: readonly OutgoingEvent<S>[]): Promise<SentEvent[]> {
    if (events.length === 0) return [];
    return (await this.produce(topic, events)).sent;
  }

  /**
   * Sends events encoded by the caller to one topic in one request; resolves when all were
   * acknowledged. The caller vouches that each value is a `topic.schema` message whose id is `eventId`.
   */
  async sendEncoded<S extends DescMessage>(topic: TopicSpec<S>, events: readonly EncodedEvent[]): Promise<SentEvent[]> {
    if (events.length === 0) return [];
    return (await this.produce(topic, events)).sent;
  }

  private async produce<S extends DescMessage>(
    topic: TopicSpec<S>,
    events: readonly (OutgoingEvent<S> | EncodedEvent)[],
  ): Promise<{ sent: SentEvent[]; metadata: RecordMetadata[] }> {
    assertValidTopicName(topic.name);
    const tracer = trace.getTracer(TRACER_NAME);
    const prepared = events.map((event) => {
      const parent = 'value' in event ? otelContext.active() : parentContextOf(event);
      const span = tracer.startSpan(
        `${topic.name} send`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.operation.name': 'send',
            'messaging.destination.name': topic.name,
            'messaging.client.id': this.connection.clientId,
            ...(event.key !== null ? { 'messaging.kafka.message.key': event.key } : {}),
          },
        },
        parent,
      );
      const { record, sent } = this.encode(topic, event, trace.setSpan(parent, span));
      span.setAttribute('messaging.message.id', sent.eventId);
      return { record, sent, span };
    });

    try {
      await this.connect();
      const metadata = await this.producer.send({ topic: topic.name, messages: prepared.map((p) => p.record), acks: -1, timeout: SEND_TIMEOUT_MS });
      this.metrics.producedRecords.inc({ topic: topic.name }, events.length);
      prepared.forEach((p) => p.span.end());
      return { sent: prepared.map((p) => p.sent), metadata };
    } catch (error) {
      for (const p of prepared) {
        p.span.recordException(error as Error);
        p.span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        p.span.end();
      }
      throw error;
    }
  }

  /** Forwards records byte for byte (dead-letter topics, replay tools). */
  async sendRaw(topicName: string, records: readonly RawRecord[]): Promise<void> {
    assertValidTopicName(topicName);
    if (records.length === 0) return;
    await this.connect();
    await this.producer.send({
      topic: topicName,
      acks: -1,
      timeout: SEND_TIMEOUT_MS,
      messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })),
    });
    this.metrics.producedRecords.inc({ topic: topicName }, records.length);
  }

  private encode<S extends DescMessage>(topic: TopicSpec<S>, event: OutgoingEvent<S> | EncodedEvent, ctx: Context): { record: Message; sent: SentEvent } {
    let value: Buffer | null = null;
    let eventId: string;
    if ('value' in event) {
      value = Buffer.from(event.value.buffer, event.value.byteOffset, event.value.byteLength);
      eventId = event.eventId;
    } else if (event.message === null) {
      if (topic.cleanupPolicy !== 'compact') {
        throw new Error(`Tombstones (null messages) are only allowed on compacted topics; ${topic.name} is not compacted`);
      }
      eventId = uuidv7();
    } else {
      const message = create(topic.schema, event.message as MessageInitShape<S>);
      eventId = eventIdOf(message) ?? uuidv7();
      if (hasEventIdField(topic.schema)) (message as { eventId?: string }).eventId = eventId;
      value = Buffer.from(toBinary(topic.schema, message));
    }
    const { traceparent, tracestate } = traceHeadersFor(ctx);
    const headers = buildRecordHeaders({
      eventId,
      traceparent,
      ...(tracestate ? { tracestate } : {}),
      schema: topic.schema,
      producer: this.connection.clientId,
      ...(event.headers ? { extra: event.headers } : {}),
    });
    return { record: { key: event.key, value, headers }, sent: { topic: topic.name, eventId, traceparent } };
  }
}

function parentContextOf(event: { traceparent?: string; tracestate?: string }): Context {
  if (event.traceparent && parseTraceparent(event.traceparent)) {
    return extractTraceContext({ traceparent: event.traceparent, ...(event.tracestate ? { tracestate: event.tracestate } : {}) }, otelContext.active());
  }
  return otelContext.active();
}

const eventIdFields = new WeakMap<DescMessage, boolean>();

function hasEventIdField(schema: DescMessage): boolean {
  let has = eventIdFields.get(schema);
  if (has === undefined) {
    has = schema.fields.some((field) => field.localName === 'eventId' && field.fieldKind === 'scalar');
    eventIdFields.set(schema, has);
  }
  return has;
}
