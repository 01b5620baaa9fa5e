import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { UsageRecordedSchema } from '@vectorstack/contracts';

type UsageInit = MessageInitShape<typeof UsageRecordedSchema>;
type Integer = number | bigint;

/** The most a 64-bit field may hold on the fast path (JavaScript numbers are exact up to here). */
const MAX_EXACT = 2 ** 53 - 1;
const MAX_EXACT_BIGINT = BigInt(MAX_EXACT);

// UsageRecorded's fields (proto/vectorstack/usage/v1/usage_recorded.proto) and wire types.
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const tag = (field: number, wireType: number) => (field << 3) | wireType;
function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** Bytes of a length-delimited field with a `tagBytes`-byte tag (none when empty, as proto3 leaves it out). */
function stringSize(bytes: number, tagBytes: number): number {
  return bytes > 0 ? tagBytes + varintSize(bytes) + bytes : 0;
}

/** Bytes of a varint field with a `tagBytes`-byte tag (none when zero). */
function uintSize(value: number, tagBytes: number): number {
  return value > 0 ? tagBytes + varintSize(value) : 0;
}

/** A non-negative integer the fast path can write, or undefined (negative, too large, not an integer). */
function exact(value: Integer | undefined): number | undefined {
  if (value === undefined) return 0;
  const number = typeof value === 'bigint' ? (value >= 0n && value <= MAX_EXACT_BIGINT ? Number(value) : -1) : value;
  return Number.isInteger(number) && number >= 0 && number <= MAX_EXACT ? number : undefined;
}

/** Strings up to this long are measured and written in JavaScript when they are ASCII (ids, names), which beats two calls into Buffer's native code each. */
const MAX_SCANNED = 128;

/** UTF-8 byte length of `value`: its length when it is short ASCII (the usual case), else Buffer's count. */
function utf8Length(value: string): number {
  const length = value.length;
  if (length <= MAX_SCANNED) {
    let i = 0;
    while (i < length && value.charCodeAt(i) < 0x80) i++;
    if (i === length) return length;
  }
  return Buffer.byteLength(value, 'utf8');
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
    if (bytes === value.length && bytes <= MAX_SCANNED) {
      // ASCII (one byte per character, utf8Length checked): copied character by character.
      const buffer = this.buffer;
      let position = this.position;
      for (let i = 0; i < bytes; i++) buffer[position++] = value.charCodeAt(i);
      this.position = position;
    } else {
      this.position += this.buffer.write(value, this.position, bytes, 'utf8');
    }
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
  // Written field by field, without arrays or closures: it runs once per response.
  const prompt = exact(init.promptTokens);
  const completion = exact(init.completionTokens);
  const total = exact(init.totalTokens);
  const reserved = exact(init.reservedTokens);
  const seconds = init.occurredAt ? exact(init.occurredAt.seconds) : 0;
  const nanos = init.occurredAt?.nanos ?? 0;
  const source = init.source ?? 0;
  const latency = init.latencyMs ?? 0;
  const firstToken = init.timeToFirstTokenMs ?? 0;
  const status = init.httpStatus ?? 0;
  if (
    prompt === undefined ||
    completion === undefined ||
    total === undefined ||
    reserved === undefined ||
    seconds === undefined ||
    !isUint32(latency) ||
    !isUint32(firstToken) ||
    !isUint32(status) ||
    !(Number.isInteger(nanos) && nanos >= 0) ||
    !(Number.isInteger(source) && source >= 0)
  ) {
    return toBinary(UsageRecordedSchema, create(UsageRecordedSchema, { ...init, eventId }));
  }

  const requestId = init.requestId ?? '';
  const tenantId = init.tenantId ?? '';
  const keyId = init.keyId ?? '';
  const model = init.model ?? '';
  const deployment = init.deployment ?? '';
  const provider = init.provider ?? '';
  const endpoint = init.endpoint ?? '';
  const eventIdBytes = utf8Length(eventId);
  const requestIdBytes = utf8Length(requestId);
  const tenantIdBytes = utf8Length(tenantId);
  const keyIdBytes = utf8Length(keyId);
  const modelBytes = utf8Length(model);
  const deploymentBytes = utf8Length(deployment);
  const providerBytes = utf8Length(provider);
  const endpointBytes = utf8Length(endpoint);
  const timestampBytes = (seconds > 0 ? 1 + varintSize(seconds) : 0) + (nanos > 0 ? 1 + varintSize(nanos) : 0);

  // Tags of fields 1–15 take one byte, 16–19 two; a length-delimited field adds its length's varint.
  const size =
    stringSize(eventIdBytes, 1) +
    stringSize(requestIdBytes, 1) +
    (source > 0 ? 1 + varintSize(source) : 0) +
    stringSize(tenantIdBytes, 1) +
    stringSize(keyIdBytes, 1) +
    stringSize(modelBytes, 1) +
    stringSize(deploymentBytes, 1) +
    stringSize(providerBytes, 1) +
    uintSize(prompt, 1) +
    uintSize(completion, 1) +
    uintSize(total, 1) +
    uintSize(latency, 1) +
    uintSize(firstToken, 1) +
    uintSize(status, 1) +
    (init.streamed ? 2 : 0) +
    uintSize(reserved, 2) +
    (init.occurredAt ? 2 + varintSize(timestampBytes) + timestampBytes : 0) +
    stringSize(endpointBytes, 2) +
    (init.rateLimitSettled ? 3 : 0);

  const out = new Writer(Buffer.allocUnsafe(size));
  if (eventIdBytes > 0) out.string(1, eventId, eventIdBytes);
  if (requestIdBytes > 0) out.string(2, requestId, requestIdBytes);
  if (source > 0) out.uint(3, source);
  if (tenantIdBytes > 0) out.string(4, tenantId, tenantIdBytes);
  if (keyIdBytes > 0) out.string(5, keyId, keyIdBytes);
  if (modelBytes > 0) out.string(6, model, modelBytes);
  if (deploymentBytes > 0) out.string(7, deployment, deploymentBytes);
  if (providerBytes > 0) out.string(8, provider, providerBytes);
  if (prompt > 0) out.uint(9, prompt);
  if (completion > 0) out.uint(10, completion);
  if (total > 0) out.uint(11, total);
  if (latency > 0) out.uint(12, latency);
  if (firstToken > 0) out.uint(13, firstToken);
  if (status > 0) out.uint(14, status);
  if (init.streamed) out.uint(15, 1);
  if (reserved > 0) out.uint(16, reserved);
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
