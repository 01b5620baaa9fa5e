import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** UsageRecordedBatch's field numbers (proto/vectorstack/usage/v1/usage_recorded.proto). */
const BATCH_EVENT_ID = 1;
const BATCH_EVENTS = 2;

/**
 * A UsageRecordedBatch's bytes from events already encoded as UsageRecorded: a repeated
 * message field is each message's bytes behind its tag and length, so the events are copied,
 * not encoded again. The publisher encodes each event when it is recorded (one small buffer
 * per event, instead of an object graph, waits for the batch).
 */
export function encodeUsageBatch(batchEventId: string, encodedEvents: readonly Uint8Array[]): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(BATCH_EVENT_ID, WireType.LengthDelimited).string(batchEventId);
  for (const event of encodedEvents) writer.tag(BATCH_EVENTS, WireType.LengthDelimited).bytes(event);
  return writer.finish();
}
