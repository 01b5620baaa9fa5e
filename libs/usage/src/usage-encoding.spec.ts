import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { UsageRecordedSchema, UsageSource } from '@vectorstack/contracts';
import { encodeUsageRecorded } from './usage-encoding';
import { routerEvent } from './testing/router-event';

type Init = MessageInitShape<typeof UsageRecordedSchema>;

const EVENT_ID = '01936b1e-7a3c-7d4e-9f00-1234567890ab';

/** What protobuf-es writes for the same event. */
const reference = (init: Init, eventId = EVENT_ID) => toBinary(UsageRecordedSchema, create(UsageRecordedSchema, { ...init, eventId }));

describe('encodeUsageRecorded', () => {
  it.each<[string, Init]>([
    ['a streamed router event with every field set', routerEvent],
    ['a refused request (zeros and empty strings left out)', { ...routerEvent, deployment: '', provider: '', promptTokens: 0n, completionTokens: 0n, totalTokens: 0n, timeToFirstTokenMs: 0, httpStatus: 429, streamed: false, rateLimitSettled: false }],
    ['an event with only a tenant', { tenantId: 't' }],
    ['an empty event', {}],
    ['a timestamp at the epoch (an empty message, still present)', { ...routerEvent, occurredAt: { seconds: 0n, nanos: 0 } }],
    ['a timestamp with whole seconds', { ...routerEvent, occurredAt: { seconds: 1_795_354_864n } }],
    ['no timestamp', { ...routerEvent, occurredAt: undefined }],
    ['non-ASCII names', { ...routerEvent, model: 'modèle-ünïcødé-模型', deployment: 'd/😀' }],
    ['a lone surrogate (written as U+FFFD, as Buffer writes it)', { ...routerEvent, keyId: 'k\ud800', tenantId: 'é' }],
    ['ASCII names just within and beyond the scanned length', { ...routerEvent, model: 'm'.repeat(128), deployment: 'd'.repeat(129) }],
    ['varints of every width', { ...routerEvent, promptTokens: 127n, completionTokens: 128n, totalTokens: 16_384n, reservedTokens: 2n ** 53n - 1n, latencyMs: 0xffffffff, httpStatus: 599 }],
    ['long strings (multi-byte lengths)', { ...routerEvent, requestId: 'r'.repeat(300), endpoint: '/api/v2/models/predict'.repeat(20) }],
    ['another source', { ...routerEvent, source: UsageSource.INFERENCE }],
    ['an id given in the event itself', { ...routerEvent, eventId: 'ignored: the argument wins' }],
  ])('writes the bytes protobuf-es writes: %s', (_case, init) => {
    const bytes = encodeUsageRecorded(init, EVENT_ID);
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(reference(init)).toString('hex'));
    expect(fromBinary(UsageRecordedSchema, bytes).eventId).toBe(EVENT_ID);
  });

  it.each<[string, Init]>([
    ['a 64-bit value beyond 2^53', { ...routerEvent, totalTokens: 2n ** 60n }],
    ['a timestamp before 1970', { ...routerEvent, occurredAt: { seconds: -5n, nanos: 0 } }],
  ])('hands what its fast path does not take to protobuf-es: %s', (_case, init) => {
    expect(Buffer.from(encodeUsageRecorded(init, EVENT_ID)).equals(Buffer.from(reference(init)))).toBe(true);
  });
});
