import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { UsageRecordedSchema, UsageSource } from '@vectorstack/contracts';
import { isCharged, occurredAtOf, toLedgerRow, uniqueByEvent, uuidV7Time } from './usage-event';

const origin = { eventId: undefined, partition: 2, offset: '41', timestamp: String(Date.UTC(2025, 6, 1, 12)) };
const accepted = { oldest: new Date(Date.UTC(2024, 0, 1)), latest: new Date(Date.UTC(2030, 0, 1)) };
const at = new Date(Date.UTC(2025, 6, 1, 10, 30, 15, 250));

const event = (fields: Record<string, unknown> = {}) =>
  create(UsageRecordedSchema, {
    eventId: '0197c4a1-2b3c-7d4e-8f00-112233445566',
    requestId: 'req-1',
    source: UsageSource.ROUTER,
    tenantId: 'tenant-1',
    keyId: 'key-1',
    model: 'gpt-4o',
    promptTokens: 10n,
    completionTokens: 20n,
    totalTokens: 30n,
    httpStatus: 200,
    occurredAt: timestampFromDate(at),
    endpoint: '/v1/chat/completions',
    ...fields,
  });

describe('isCharged', () => {
  it('charges the router’s record and inference’s direct calls, not inference’s record of a routed call', () => {
    expect(isCharged(UsageSource.ROUTER, '/v1/chat/completions')).toBe(true);
    expect(isCharged(UsageSource.UNSPECIFIED, '')).toBe(true);
    expect(isCharged(UsageSource.INFERENCE, '/api/v2/models/predict')).toBe(true);
    expect(isCharged(UsageSource.INFERENCE, '/v1/chat/completions')).toBe(false);
    expect(isCharged(UsageSource.INFERENCE, '')).toBe(false);
  });
});

describe('occurred_at', () => {
  it('comes from the event, else from its UUIDv7 id, else from the record', () => {
    expect(occurredAtOf(event(), 'x', origin)).toEqual(at);
    const v7 = '0197c4a1-2b3c-7d4e-8f00-112233445566';
    expect(uuidV7Time(v7)?.getTime()).toBe(0x0197c4a12b3c);
    expect(occurredAtOf(event({ occurredAt: undefined }), v7, origin).getTime()).toBe(0x0197c4a12b3c);
    expect(occurredAtOf(event({ occurredAt: undefined }), 'not-a-uuid', origin).getTime()).toBe(Number(origin.timestamp));
    expect(uuidV7Time('6f9619ff-8b86-4d11-b42d-00c04fc964ff')).toBeUndefined();
  });
});

describe('toLedgerRow', () => {
  it('maps a valid event', () => {
    const mapped = toLedgerRow(event(), origin, accepted);
    expect(mapped).toEqual({
      ok: true,
      row: expect.objectContaining({ eventId: '0197c4a1-2b3c-7d4e-8f00-112233445566', occurredAtMs: at.getTime(), tenantId: 'tenant-1', charged: true, kafkaPartition: 2, kafkaOffset: '41', totalTokens: 30 }),
    });
  });

  it('takes the event id from the header when the payload has none', () => {
    const mapped = toLedgerRow(event({ eventId: '' }), { ...origin, eventId: 'from-header' }, accepted);
    expect(mapped.ok && mapped.row.eventId).toBe('from-header');
  });

  it.each([
    ['no event id', { eventId: '' }, 'no event id'],
    ['no tenant', { tenantId: '' }, 'no tenant_id'],
    ['absurd tokens', { promptTokens: 10n ** 13n }, 'prompt_tokens'],
    ['a NUL in a text', { requestId: 'a\u0000b' }, 'NUL'],
    ['a bad status', { httpStatus: 70_000 }, 'http_status'],
    ['an endless model name', { model: 'm'.repeat(300) }, 'model longer'],
    ['an event older than the retention', { occurredAt: timestampFromDate(new Date(Date.UTC(2023, 0, 1))) }, 'retention'],
    ['an event from the future', { occurredAt: timestampFromDate(new Date(Date.UTC(2031, 0, 1))) }, 'future'],
  ])('refuses %s', (_case, fields, reason) => {
    const mapped = toLedgerRow(event(fields), origin, accepted);
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.reason).toContain(reason);
  });

  it('refuses a null value', () => {
    expect(toLedgerRow(null, origin, accepted).ok).toBe(false);
  });
});

describe('uniqueByEvent', () => {
  it('keeps the first of repeated events in a batch', () => {
    const a = toLedgerRow(event(), origin, accepted);
    const b = toLedgerRow(event(), { ...origin, offset: '42' }, accepted);
    const c = toLedgerRow(event({ eventId: 'other' }), origin, accepted);
    if (!a.ok || !b.ok || !c.ok) throw new Error('fixture');
    expect(uniqueByEvent([a.row, b.row, c.row]).map((r) => r.kafkaOffset + r.eventId)).toEqual(['41' + a.row.eventId, '41other']);
  });
});
