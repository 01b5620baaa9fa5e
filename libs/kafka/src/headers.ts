import type { DescMessage } from '@bufbuild/protobuf';
import type { IHeaders } from 'kafkajs';

/** Record header names: the event contract every producer and consumer shares. */
export const KafkaHeaders = {
  eventId: 'event-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  contentType: 'content-type',
  producedAt: 'produced-at',
  producer: 'producer',
  dlqReason: 'dlq-reason',
  dlqError: 'dlq-error',
  dlqSourceTopic: 'dlq-source-topic',
  dlqSourcePartition: 'dlq-source-partition',
  dlqSourceOffset: 'dlq-source-offset',
  dlqConsumerGroup: 'dlq-consumer-group',
  dlqFailedAt: 'dlq-failed-at',
} as const;

const PROTOBUF_MEDIA_TYPE = 'application/x-protobuf';

export function protobufContentType(schema: DescMessage): string {
  return `${PROTOBUF_MEDIA_TYPE}; messageType=${schema.typeName}`;
}

/**
 * Whether a record's `content-type` header allows decoding it with `schema`. A missing header
 * is accepted (tools such as kcat produce without headers); a header naming another media type
 * or another message type is not.
 */
export function contentTypeMatches(header: string | undefined, schema: DescMessage): boolean {
  if (header === undefined) return true;
  const [mediaType, ...params] = header.split(';').map((part) => part.trim());
  if (mediaType?.toLowerCase() !== PROTOBUF_MEDIA_TYPE) return false;
  const messageType = params.find((param) => param.toLowerCase().startsWith('messagetype='));
  return messageType === undefined || messageType.slice('messagetype='.length) === schema.typeName;
}

export interface OutgoingHeaderInput {
  readonly eventId: string;
  readonly traceparent: string;
  readonly tracestate?: string;
  readonly schema: DescMessage;
  readonly producer: string;
  readonly producedAt?: Date;
  /** Caller headers; the standard headers above win on a name clash. */
  readonly extra?: Readonly<Record<string, string>>;
}

export function buildRecordHeaders(input: OutgoingHeaderInput): Record<string, string> {
  const headers: Record<string, string> = {
    ...(input.extra ?? {}),
    [KafkaHeaders.eventId]: input.eventId,
    [KafkaHeaders.traceparent]: input.traceparent,
    [KafkaHeaders.contentType]: protobufContentType(input.schema),
    [KafkaHeaders.producedAt]: (input.producedAt ?? new Date()).toISOString(),
    [KafkaHeaders.producer]: input.producer,
  };
  if (input.tracestate) headers[KafkaHeaders.tracestate] = input.tracestate;
  else delete headers[KafkaHeaders.tracestate];
  return headers;
}

/** kafkajs headers (Buffers, possibly repeated) as plain strings; the last value of a repeated header wins. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    out[name.toLowerCase()] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

export type DeadLetterReason = 'decode-failed' | 'missing-value' | 'wrong-content-type' | 'handler-failed';

export interface DeadLetterInput {
  readonly original: Readonly<Record<string, string>>;
  readonly reason: DeadLetterReason;
  readonly error?: unknown;
  readonly sourceTopic: string;
  readonly partition: number;
  readonly offset: string;
  readonly consumerGroup: string;
  readonly failedAt?: Date;
}

export const MAX_DLQ_ERROR_LENGTH = 1024;

/** The error's message only (never the stack: it leaks paths and bloats every record), truncated. */
export function describeError(error: unknown, maxLength = MAX_DLQ_ERROR_LENGTH): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const firstLines = text.split('\n    at ')[0] ?? text;
  return firstLines.length > maxLength ? `${firstLines.slice(0, maxLength - 1)}…` : firstLines;
}

export function buildDeadLetterHeaders(input: DeadLetterInput): Record<string, string> {
  const headers: Record<string, string> = {
    ...input.original,
    [KafkaHeaders.dlqReason]: input.reason,
    [KafkaHeaders.dlqSourceTopic]: input.sourceTopic,
    [KafkaHeaders.dlqSourcePartition]: String(input.partition),
    [KafkaHeaders.dlqSourceOffset]: input.offset,
    [KafkaHeaders.dlqConsumerGroup]: input.consumerGroup,
    [KafkaHeaders.dlqFailedAt]: (input.failedAt ?? new Date()).toISOString(),
  };
  if (input.error !== undefined) headers[KafkaHeaders.dlqError] = describeError(input.error);
  else delete headers[KafkaHeaders.dlqError];
  return headers;
}
