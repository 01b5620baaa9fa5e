import { fromBinary } from '@bufbuild/protobuf';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { UsageRecordedBatchSchema, type UsageRecorded, type UsageRecordedBatch } from '@vectorstack/contracts';

// Wire types (https://protobuf.dev/programming-guides/encoding/).
const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** A varint longer than this many bytes is not taken by the fast path (7 × 7 = 49 bits: exact as a number). */
const MAX_FAST_VARINT_BYTES = 7;

/** The fast path cannot take these bytes exactly as protobuf-es would: decode them with it. */
class NotFast extends Error {}
const NOT_FAST = new NotFast();

/** Reads protobuf wire data from one buffer; throws NOT_FAST on anything the fast path leaves to protobuf-es. */
class Reader {
  position: number;

  constructor(
    readonly bytes: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.position = start;
  }

  get done(): boolean {
    return this.position >= this.end;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let read = 0; read < MAX_FAST_VARINT_BYTES; read++) {
      if (this.position >= this.end) throw NOT_FAST;
      const byte = this.bytes[this.position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw NOT_FAST;
  }

  /** A varint that protobuf-es reads as a 32-bit value without changing it (below 2^31: an int32, an enum or a uint32 alike). */
  small(): number {
    const value = this.varint();
    if (value > 0x7fffffff) throw NOT_FAST;
    return value;
  }

  /** The end of a length-delimited field's bytes, the reader placed at their start. */
  lengthDelimited(): number {
    const length = this.varint();
    const end = this.position + length;
    if (end > this.end) throw NOT_FAST;
    return end;
  }

  string(): string {
    const end = this.lengthDelimited();
    const value = this.bytes.toString('utf8', this.position, end);
    this.position = end;
    return value;
  }
}

function timestamp(reader: Reader): Timestamp {
  const end = reader.lengthDelimited();
  const inner = new Reader(reader.bytes, reader.position, end);
  let seconds = 0;
  let nanos = 0;
  while (!inner.done) {
    const tag = inner.varint();
    if (tag === ((1 << 3) | VARINT)) seconds = inner.varint();
    else if (tag === ((2 << 3) | VARINT)) nanos = inner.small();
    else throw NOT_FAST;
  }
  reader.position = end;
  return { $typeName: 'google.protobuf.Timestamp', seconds: BigInt(seconds), nanos };
}

function usageRecorded(bytes: Buffer, start: number, end: number): UsageRecorded {
  // Every field, in the order protobuf-es's create() sets them: one object shape for all events.
  const event: UsageRecorded = {
    $typeName: 'vectorstack.usage.v1.UsageRecorded',
    eventId: '',
    requestId: '',
    source: 0,
    tenantId: '',
    keyId: '',
    model: '',
    deployment: '',
    provider: '',
    promptTokens: 0n,
    completionTokens: 0n,
    totalTokens: 0n,
    latencyMs: 0,
    timeToFirstTokenMs: 0,
    httpStatus: 0,
    streamed: false,
    reservedTokens: 0n,
    endpoint: '',
    rateLimitSettled: false,
    occurredAt: undefined,
  };
  const reader = new Reader(bytes, start, end);
  let timestampSeen = false;
  while (!reader.done) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === LENGTH_DELIMITED) {
      switch (field) {
        case 1:
          event.eventId = reader.string();
          break;
        case 2:
          event.requestId = reader.string();
          break;
        case 4:
          event.tenantId = reader.string();
          break;
        case 5:
          event.keyId = reader.string();
          break;
        case 6:
          event.model = reader.string();
          break;
        case 7:
          event.deployment = reader.string();
          break;
        case 8:
          event.provider = reader.string();
          break;
        case 17:
          // A message field given twice is merged by protobuf-es: left to it.
          if (timestampSeen) throw NOT_FAST;
          timestampSeen = true;
          event.occurredAt = timestamp(reader);
          break;
        case 18:
          event.endpoint = reader.string();
          break;
        default:
          throw NOT_FAST;
      }
    } else if (wireType === VARINT) {
      switch (field) {
        case 3:
          event.source = reader.small();
          break;
        case 9:
          event.promptTokens = BigInt(reader.varint());
          break;
        case 10:
          event.completionTokens = BigInt(reader.varint());
          break;
        case 11:
          event.totalTokens = BigInt(reader.varint());
          break;
        case 12:
          event.latencyMs = reader.small();
          break;
        case 13:
          event.timeToFirstTokenMs = reader.small();
          break;
        case 14:
          event.httpStatus = reader.small();
          break;
        case 15:
          event.streamed = reader.varint() !== 0;
          break;
        case 16:
          event.reservedTokens = BigInt(reader.varint());
          break;
        case 19:
          event.rateLimitSettled = reader.varint() !== 0;
          break;
        default:
          throw NOT_FAST;
      }
    } else throw NOT_FAST;
  }
  return event;
}

/**
 * A UsageRecordedBatch's bytes decoded by hand: the message `fromBinary(UsageRecordedBatchSchema,
 * bytes)` gives (the unit tests compare them), without its reflective walk over the schema. The
 * metering service decodes every usage event the platform records, and protobuf-es's generic
 * decoding (with the garbage of its intermediate objects) was about a third of that service's
 * CPU under the router benchmark's load, on the cores the router shares. Anything the fast
 * path does not take exactly as protobuf-es would (an unknown field, an unexpected wire type, a
 * 64-bit value of 2^49 or more, a negative number, a message field given twice, truncated bytes)
 * is decoded by protobuf-es instead, which also throws what it throws on malformed bytes.
 */
export function decodeUsageRecordedBatch(bytes: Uint8Array): UsageRecordedBatch {
  try {
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const batch: UsageRecordedBatch = { $typeName: 'vectorstack.usage.v1.UsageRecordedBatch', eventId: '', events: [] };
    const reader = new Reader(buffer, 0, buffer.length);
    while (!reader.done) {
      const tag = reader.varint();
      if (tag === ((1 << 3) | LENGTH_DELIMITED)) batch.eventId = reader.string();
      else if (tag === ((2 << 3) | LENGTH_DELIMITED)) {
        const end = reader.lengthDelimited();
        batch.events.push(usageRecorded(buffer, reader.position, end));
        reader.position = end;
      } else throw NOT_FAST;
    }
    return batch;
  } catch (error) {
    if (error !== NOT_FAST) throw error;
    return fromBinary(UsageRecordedBatchSchema, bytes);
  }
}
