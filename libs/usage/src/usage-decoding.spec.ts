import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { UsageRecordedBatchSchema, UsageRecordedSchema, UsageSource } from '@vectorstack/contracts';
import { encodeUsageBatch } from './usage-batch';
import { decodeUsageRecordedBatch } from './usage-decoding';
import { encodeUsageRecorded } from './usage-encoding';
import { routerEvent as streamedRouterEvent } from './testing/router-event';

type Init = MessageInitShape<typeof UsageRecordedSchema>;

const routerEvent = { ...streamedRouterEvent, eventId: '01936b1e-7a3c-7d4e-9f00-1234567890ab' };

const batchOf = (...events: Init[]) => toBinary(UsageRecordedBatchSchema, create(UsageRecordedBatchSchema, { eventId: 'batch-1', events }));

/** The decoder's answer, and that it is protobuf-es's own. */
function decodedAsProtobufEs(bytes: Uint8Array) {
  const decoded = decodeUsageRecordedBatch(bytes);
  expect(decoded).toEqual(fromBinary(UsageRecordedBatchSchema, bytes));
  return decoded;
}

describe('decodeUsageRecordedBatch', () => {
  it.each<[string, Init[]]>([
    ['a streamed router event with every field set', [routerEvent]],
    ['a refused request (zeros and empty strings left out)', [{ ...routerEvent, deployment: '', promptTokens: 0n, completionTokens: 0n, totalTokens: 0n, httpStatus: 429, streamed: false }]],
    ['an empty event and one with only a tenant', [{}, { tenantId: 't' }]],
    ['a timestamp at the epoch and one without nanos', [{ ...routerEvent, occurredAt: { seconds: 0n, nanos: 0 } }, { ...routerEvent, occurredAt: { seconds: 1_795_354_864n } }]],
    ['no timestamp', [{ ...routerEvent, occurredAt: undefined }]],
    ['non-ASCII text', [{ ...routerEvent, model: 'modèle-ünïcode-模型-🚀', endpoint: '/v1/chat' }]],
    ['counts of 2^48 and an inference event', [{ ...routerEvent, promptTokens: 2n ** 48n, source: UsageSource.INFERENCE, latencyMs: 2 ** 31 - 1 }]],
    ['an enum value no producer writes yet', [{ ...routerEvent, source: 7 as UsageSource }]],
    ['no events', []],
  ])('%s: the same message as protobuf-es', (_name, events) => {
    const decoded = decodedAsProtobufEs(batchOf(...events));
    expect(decoded.events).toHaveLength(events.length);
  });

  it("decodes what the router's publisher writes (encodeUsageRecorded inside encodeUsageBatch)", () => {
    const events = Array.from({ length: 50 }, (_, index) => ({ ...routerEvent, requestId: `request-${index}`, promptTokens: BigInt(index) }));
    const bytes = encodeUsageBatch('batch-2', events.map(({ eventId, ...init }) => encodeUsageRecorded(init, eventId!)));
    const decoded = decodedAsProtobufEs(bytes);
    expect(decoded.eventId).toBe('batch-2');
    expect(decoded.events.map((event) => event.requestId)).toEqual(events.map((event) => event.requestId));
    expect(decoded.events[7]).toMatchObject({ promptTokens: 7n, occurredAt: { seconds: 1_795_354_864n, nanos: 123_000_000 }, rateLimitSettled: true });
  });

  it.each<[string, () => Uint8Array]>([
    ['a 64-bit count of 2^60', () => batchOf({ ...routerEvent, totalTokens: 2n ** 60n })],
    ['a timestamp before the epoch (a negative int64)', () => batchOf({ ...routerEvent, occurredAt: { seconds: -5n, nanos: 0 } })],
    ['a uint32 of 2^32 - 1', () => batchOf({ ...routerEvent, httpStatus: 2 ** 32 - 1 })],
    [
      'a field this version does not know (number 40)',
      () => {
        const event = toBinary(UsageRecordedSchema, create(UsageRecordedSchema, routerEvent));
        return encodeUsageBatch('batch-3', [Buffer.concat([event, Buffer.from([0xc0, 0x02, 0x01])])]);
      },
    ],
    [
      'a timestamp given twice (protobuf merges the two)',
      () => {
        const first = toBinary(UsageRecordedSchema, create(UsageRecordedSchema, routerEvent));
        const second = toBinary(UsageRecordedSchema, create(UsageRecordedSchema, { occurredAt: { nanos: 5 } }));
        return encodeUsageBatch('batch-4', [Buffer.concat([first, second])]);
      },
    ],
  ])('%s: left to protobuf-es, the same message', (_name, bytes) => {
    decodedAsProtobufEs(bytes());
  });

  it('throws on bytes that are not a batch, as protobuf-es does', () => {
    const truncated = batchOf(routerEvent).subarray(0, 40);
    expect(() => fromBinary(UsageRecordedBatchSchema, truncated)).toThrow();
    expect(() => decodeUsageRecordedBatch(truncated)).toThrow();
  });
});
