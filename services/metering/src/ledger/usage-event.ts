import { timestampDate } from '@bufbuild/protobuf/wkt';
import { UsageSource, type UsageRecorded } from '@vectorstack/contracts';

/**
 * One usage event as the ledger stores it (before pricing). Plain JSON values only: a batch
 * goes to Postgres as one JSON document (json_to_recordset), far cheaper to build than one
 * array parameter per column.
 */
export interface LedgerRow {
  readonly eventId: string;
  /** Milliseconds since the epoch. */
  readonly occurredAtMs: number;
  readonly requestId: string;
  readonly source: number;
  readonly tenantId: string;
  readonly keyId: string;
  readonly model: string;
  readonly deployment: string;
  readonly provider: string;
  readonly endpoint: string;
  readonly httpStatus: number;
  readonly streamed: boolean;
  /** At most MAX_TOKENS_PER_EVENT, so exact as a number. */
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly latencyMs: number;
  readonly timeToFirstTokenMs: number;
  /** Counted in the customer's usage and cost (see `isCharged`). */
  readonly charged: boolean;
  readonly kafkaPartition: number;
  readonly kafkaOffset: string;
}

export type MappedEvent = { readonly ok: true; readonly row: LedgerRow } | { readonly ok: false; readonly reason: string };

/** Where a consumed record came from (the parts of ConsumedRecord the mapping needs). */
export interface RecordOrigin {
  readonly eventId: string | undefined;
  readonly partition: number;
  readonly offset: string;
  /** Kafka record timestamp, ms since the epoch. */
  readonly timestamp: string;
}

export interface AcceptedTimeRange {
  /** Events that occurred before this are outside the raw-event retention. */
  readonly oldest: Date | null;
  /** Events that occur after this are clock errors. */
  readonly latest: Date;
}

/** More tokens than any single request can use: a corrupt event, not usage. */
export const MAX_TOKENS_PER_EVENT = 1_000_000_000_000n;
const MAX_ID_LENGTH = 256;
const MAX_TEXT_LENGTH = 1_024;

/**
 * Which record of a request is charged to the customer. The router's record is the customer's
 * request. Inference also records what it serves, and for a call the router made on a client's
 * behalf both would count the same request: an INFERENCE record is charged only when the call
 * came in on inference's own public routes (`/api/v2/...`, where the ingress sends clients
 * directly); on any other endpoint (its OpenAI-compatible routes, which only the router calls) it
 * is kept in the ledger with `charged = false` and cost 0, for reconciliation, and left out of
 * every rollup. The decision needs only the event itself, so it does not depend on which of the
 * two records arrives first, and a replay decides the same way.
 */
export function isCharged(source: UsageSource, endpoint: string): boolean {
  if (source !== UsageSource.INFERENCE) return true;
  return endpoint.startsWith('/api/');
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The millisecond timestamp a UUIDv7 (the platform's event ids) starts with. */
export function uuidV7Time(id: string): Date | undefined {
  if (!UUID_V7.test(id)) return undefined;
  const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/**
 * When the event happened: its occurred_at; when a producer left it out, the time in its UUIDv7
 * event id (both are part of the event, so a duplicate maps to the same instant and is
 * deduplicated); only failing both, the Kafka record's timestamp.
 */
export function occurredAtOf(event: UsageRecorded, eventId: string, origin: RecordOrigin): Date {
  if (event.occurredAt && (event.occurredAt.seconds !== 0n || event.occurredAt.nanos !== 0)) return timestampDate(event.occurredAt);
  return uuidV7Time(eventId) ?? new Date(Number(origin.timestamp));
}

function tooLong(value: string, max: number): boolean {
  return value.length > max;
}

/** Why a text field is refused for its length, or undefined. */
function tooLongName(name: string, value: string, max: number): string | undefined {
  return tooLong(value, max) ? `${name} longer than ${max} characters` : undefined;
}

/** Why a token count is refused, or undefined. */
function beyondAnyRequest(name: string, value: bigint): string | undefined {
  return value > MAX_TOKENS_PER_EVENT ? `${name} ${value} is beyond any single request` : undefined;
}

function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

/** Validates one decoded event and maps it to a ledger row; a refusal names why (for the dead-letter topic). */
export function toLedgerRow(event: UsageRecorded | null, origin: RecordOrigin, accepted: AcceptedTimeRange): MappedEvent {
  if (!event) return { ok: false, reason: 'no event (null value)' };
  const eventId = event.eventId || origin.eventId || '';
  if (!eventId) return { ok: false, reason: 'no event id: the event cannot be deduplicated' };
  if (tooLong(eventId, MAX_ID_LENGTH)) return { ok: false, reason: 'event_id longer than 256 characters' };
  if (!event.tenantId) return { ok: false, reason: 'no tenant_id' };
  // Field by field, without arrays or closures: this runs for every usage event the platform records.
  const tooLongId =
    tooLongName('tenant_id', event.tenantId, MAX_ID_LENGTH) ??
    tooLongName('key_id', event.keyId, MAX_ID_LENGTH) ??
    tooLongName('request_id', event.requestId, MAX_ID_LENGTH) ??
    tooLongName('model', event.model, MAX_ID_LENGTH) ??
    tooLongName('deployment', event.deployment, MAX_TEXT_LENGTH) ??
    tooLongName('provider', event.provider, MAX_TEXT_LENGTH) ??
    tooLongName('endpoint', event.endpoint, MAX_TEXT_LENGTH);
  if (tooLongId !== undefined) return { ok: false, reason: tooLongId };
  const tooMany =
    beyondAnyRequest('prompt_tokens', event.promptTokens) ?? beyondAnyRequest('completion_tokens', event.completionTokens) ?? beyondAnyRequest('total_tokens', event.totalTokens);
  if (tooMany !== undefined) return { ok: false, reason: tooMany };
  if (
    hasNul(eventId) ||
    hasNul(event.tenantId) ||
    hasNul(event.keyId) ||
    hasNul(event.requestId) ||
    hasNul(event.model) ||
    hasNul(event.deployment) ||
    hasNul(event.provider) ||
    hasNul(event.endpoint)
  ) {
    return { ok: false, reason: 'a text field contains a NUL character' };
  }
  if (event.httpStatus > 999) return { ok: false, reason: `http_status ${event.httpStatus} is not an HTTP status` };
  const occurredAt = occurredAtOf(event, eventId, origin);
  if (Number.isNaN(occurredAt.getTime())) return { ok: false, reason: 'occurred_at is not a valid time' };
  if (accepted.oldest && occurredAt < accepted.oldest) {
    return { ok: false, reason: `occurred_at ${occurredAt.toISOString()} is older than the raw-event retention (from ${accepted.oldest.toISOString()})` };
  }
  if (occurredAt > accepted.latest) return { ok: false, reason: `occurred_at ${occurredAt.toISOString()} is in the future (clock error)` };
  return {
    ok: true,
    row: {
      eventId,
      occurredAtMs: occurredAt.getTime(),
      requestId: event.requestId,
      source: event.source,
      tenantId: event.tenantId,
      keyId: event.keyId,
      model: event.model,
      deployment: event.deployment,
      provider: event.provider,
      endpoint: event.endpoint,
      httpStatus: event.httpStatus,
      streamed: event.streamed,
      promptTokens: Number(event.promptTokens),
      completionTokens: Number(event.completionTokens),
      totalTokens: Number(event.totalTokens),
      latencyMs: event.latencyMs,
      timeToFirstTokenMs: event.timeToFirstTokenMs,
      charged: isCharged(event.source, event.endpoint),
      kafkaPartition: origin.partition,
      kafkaOffset: origin.offset,
    },
  };
}

/**
 * The rows of a batch without repeated event ids (the first occurrence wins). Repeats across
 * batches are left to the database (ON CONFLICT DO NOTHING).
 */
export function uniqueByEvent(rows: readonly LedgerRow[]): LedgerRow[] {
  const seen = new Set<string>();
  const unique: LedgerRow[] = [];
  for (const row of rows) {
    const key = `${row.eventId}\u0000${row.occurredAtMs}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(row);
  }
  return unique;
}
