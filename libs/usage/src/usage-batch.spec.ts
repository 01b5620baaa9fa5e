import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { UsageRecordedBatchSchema, UsageRecordedSchema, UsageSource } from '@vectorstack/contracts';
import { encodeUsageBatch } from './usage-batch';

describe('encodeUsageBatch', () => {
  const events = [
    create(UsageRecordedSchema, { eventId: 'e1', tenantId: 't1', source: UsageSource.ROUTER, model: 'm', promptTokens: 12n, totalTokens: 30n, occurredAt: { seconds: 1_700_000_000n, nanos: 5 } }),
    create(UsageRecordedSchema, { eventId: 'e2', tenantId: 't1', requestId: 'r-ü-🙂', httpStatus: 429, rateLimitSettled: true }),
    create(UsageRecordedSchema, {}),
  ];

  it('writes the bytes protobuf writes for the same batch', () => {
    const bytes = encodeUsageBatch('batch-1', events.map((event) => toBinary(UsageRecordedSchema, event)));
    expect(Buffer.from(bytes)).toEqual(Buffer.from(toBinary(UsageRecordedBatchSchema, create(UsageRecordedBatchSchema, { eventId: 'batch-1', events }))));
    const decoded = fromBinary(UsageRecordedBatchSchema, bytes);
    expect(decoded.eventId).toBe('batch-1');
    expect(decoded.events).toEqual(events);
  });

  it('encodes an empty batch as just its id', () => {
    expect(fromBinary(UsageRecordedBatchSchema, encodeUsageBatch('b', []))).toMatchObject({ eventId: 'b', events: [] });
  });
});
