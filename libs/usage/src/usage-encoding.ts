import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { UsageRecordedSchema } from '@vectorstack/contracts';

type UsageInit = MessageInitShape<typeof UsageRecordedSchema>;
type Integer = number | bigint;

/** The most a 64-bit field may hold on the fast path (JavaScript numbers are exact up to here). */
const MAX_EXACT = 2 ** 53 - 1;

// UsageRecorded's fields (proto/vectorstack/usage/v1/usage_recorded.proto) and wire types.
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const tag = (field: number, wireType: number) => (field << 3) | wireType;
const STRING_FIELDS = [
  [2, 'requestId'],
  [4, 'tenantId'],
  [5, 'keyId'],
  [6, 'model'],
  [7, 'deployment'],
  [8, 'provider'],
] as const;
const TOKEN_FIELDS = [
  [9, 'promptTokens'],
  [10, 'completionTokens'],
  [11, 'totalTokens'],
] as const;
const UINT32_FIELDS = [
  [12, 'latencyMs'],
  [13, 'timeToFirstTokenMs'],
  [14, 'httpStatus'],
] as const;

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** A non-negative integer the fast path can write, or undefined (negative, too large, not an integer). */
function exact(value: Integer | undefined): number | undefined {
  if (value === undefined) return 0;
  const number = typeof value === 'bigint' ? (value >= 0n && value <= BigInt(MAX_EXACT) ? Number(value) : -1) : value;
  return Number.isInteger(number) && number >= 0 && number <= MAX_EXACT ? number : undefined;
}

/** Writes protobuf wire data into one buffer sized in advance. */
class Writer {
  private position = 0;

  constructor(readonly buffer: Buffer) {}

  varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.position++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.position++] = value;
  }

  string(field: number, value: string, bytes: number): void {
    this.varint(tag(field, LENGTH_DELIMITED));
    this.varint(bytes);
    this.position += this.buffer.write(value, this.position, bytes, 'utf8');
  }

  uint(field: number, value: number): void {
    this.varint(tag(field, VARINT));
    this.varint(value);
  }

  get length(): number {
    return this.position;
  }
}

/**
 * A UsageRecorded event's protobuf bytes, written directly from the publisher's values — the
 * same bytes `toBinary(UsageRecordedSchema, create(UsageRecordedSchema, {...init, eventId}))`
 * gives (fields in number order, proto3 defaults left out), which the unit test checks case by
 * case. Why by hand: the router publishes one event per response, and protobuf-es's reflective
 * create + toBinary cost ~30 µs of CPU per event in the router process (its generic code is far
 * slower there than in a micro-benchmark). Values the fast path does not take (a negative or
 * beyond-2^53 64-bit value, a negative timestamp) go through protobuf-es.
 */
export function encodeUsageRecorded(init: UsageInit, eventId: string): Uint8Array {
  const tokens = TOKEN_FIELDS.map(([, name]) => exact(init[name]));
  const reserved = exact(init.reservedTokens);
  const seconds = init.occurredAt ? exact(init.occurredAt.seconds) : 0;
  const nanos = init.occurredAt?.nanos ?? 0;
  const source = init.source ?? 0;
  const uint32s = UINT32_FIELDS.map(([, name]) => init[name] ?? 0);
  const uint32sFit = uint32s.every((value) => Number.isInteger(value) && value >= 0 && value <= 0xffffffff);
  if (tokens.includes(undefined) || reserved === undefined || seconds === undefined || !uint32sFit || !(Number.isInteger(nanos) && nanos >= 0) || !(Number.isInteger(source) && source >= 0)) {
    return toBinary(UsageRecordedSchema, create(UsageRecordedSchema, { ...init, eventId }));
  }

  const strings = STRING_FIELDS.map(([, name]) => init[name] ?? '');
  const stringBytes = strings.map((value) => Buffer.byteLength(value, 'utf8'));
  const eventIdBytes = Buffer.byteLength(eventId, 'utf8');
  const endpoint = init.endpoint ?? '';
  const endpointBytes = Buffer.byteLength(endpoint, 'utf8');
  const timestampBytes = (seconds > 0 ? 1 + varintSize(seconds) : 0) + (nanos > 0 ? 1 + varintSize(nanos) : 0);

  // Tags of fields 1–15 take one byte, 16–19 two; a length-delimited field adds its length's varint.
  let size = 0;
  if (eventIdBytes > 0) size += 1 + varintSize(eventIdBytes) + eventIdBytes;
  if (source > 0) size += 1 + varintSize(source);
  stringBytes.forEach((bytes) => (size += bytes > 0 ? 1 + varintSize(bytes) + bytes : 0));
  tokens.forEach((value) => (size += value ? 1 + varintSize(value) : 0));
  uint32s.forEach((value) => (size += value ? 1 + varintSize(value) : 0));
  if (init.streamed) size += 2;
  if (reserved) size += 2 + varintSize(reserved);
  if (init.occurredAt) size += 2 + varintSize(timestampBytes) + timestampBytes;
  if (endpointBytes > 0) size += 2 + varintSize(endpointBytes) + endpointBytes;
  if (init.rateLimitSettled) size += 3;

  const out = new Writer(Buffer.allocUnsafe(size));
  if (eventIdBytes > 0) out.string(1, eventId, eventIdBytes);
  if (strings[0] !== '') out.string(2, strings[0], stringBytes[0]);
  if (source > 0) out.uint(3, source);
  for (let i = 1; i < STRING_FIELDS.length; i++) if (stringBytes[i] > 0) out.string(STRING_FIELDS[i][0], strings[i], stringBytes[i]);
  TOKEN_FIELDS.forEach(([field], i) => tokens[i] && out.uint(field, tokens[i] as number));
  UINT32_FIELDS.forEach(([field], i) => uint32s[i] && out.uint(field, uint32s[i]));
  if (init.streamed) out.uint(15, 1);
  if (reserved) out.uint(16, reserved);
  if (init.occurredAt) {
    out.varint(tag(17, LENGTH_DELIMITED));
    out.varint(timestampBytes);
    if (seconds > 0) out.uint(1, seconds);
    if (nanos > 0) out.uint(2, nanos);
  }
  if (endpointBytes > 0) out.string(18, endpoint, endpointBytes);
  if (init.rateLimitSettled) out.uint(19, 1);
  if (out.length !== size) throw new Error(`encodeUsageRecorded: wrote ${out.length} bytes, expected ${size}`);
  return out.buffer;
}
