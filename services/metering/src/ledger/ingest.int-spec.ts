/**
 * Ingestion by the running metering service from the real usage topic: duplicates change
 * nothing, unusable records are dead-lettered with the reason, the lag gauge goes back to zero.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { deadLetterTopicName, Topics, UsageRecordedBatchSchema } from '@vectorstack/contracts';
import { uuidv7 } from '@vectorstack/kafka';
import {
  adminKey,
  eventually,
  expectedCost,
  pricedModel,
  queryDatabase,
  readTopicUntil,
  requireEnv,
  tenantWithKeys,
  unix,
  usage,
  usageEvent,
  UsageProducer,
  waitForRequests,
  type UsageInit,
} from '../testing/metering-api';

describe('usage ingestion', () => {
  const producer = UsageProducer.create();
  const recent = () => ({ start: unix(new Date()) - 3_600, end: unix(new Date()) + 60 });

  afterAll(async () => {
    await producer.close();
  });

  it('counts every event once however often it is delivered', async () => {
    const { tenantId, worker } = await tenantWithKeys();
    const model = await pricedModel('0.0005', '0.0015');
    const events: UsageInit[] = Array.from({ length: 300 }, (_, i) =>
      usageEvent({ tenantId, keyId: worker.id, model, promptTokens: BigInt(i), completionTokens: BigInt(2 * i), totalTokens: BigInt(3 * i), at: new Date(Date.now() - i * 1_000) }),
    );
    // Duplicates inside one batch, too.
    await producer.publish([...events, ...events.slice(0, 50)]);
    const range = recent();
    const first = await waitForRequests(tenantId, 300, range);

    // The same events published again (a producer retry, a spool re-send), then a marker: once
    // the marker is in, the redelivered events before it in the partition were processed too.
    await producer.publish(events);
    const marker = usageEvent({ tenantId, keyId: worker.id, model, promptTokens: 1n, completionTokens: 0n, totalTokens: 1n });
    await producer.publish([marker]);
    const after = await waitForRequests(tenantId, 301, range);

    expect(first.totals.cost).toBe(expectedCost(events, '0.0005', '0.0015'));
    expect(after.totals.prompt_tokens).toBe(first.totals.prompt_tokens + 1);
    expect(after.totals.completion_tokens).toBe(first.totals.completion_tokens);
    expect(after.totals.cost).toBe(expectedCost([...events, marker], '0.0005', '0.0015'));
    const [{ count }] = await queryDatabase<{ count: string }>('SELECT count(*) FROM metering.usage_event WHERE tenant_id = $1', [tenantId]);
    expect(Number(count)).toBe(301);
  });

  it('charges a model without a known price 0, and counts it', async () => {
    const { tenantId, worker } = await tenantWithKeys();
    await producer.publish([usageEvent({ tenantId, keyId: worker.id, model: `no-price-${tenantId}`, promptTokens: 500n })]);
    const body = await waitForRequests(tenantId, 1, recent());
    expect(body.totals).toMatchObject({ requests: 1, prompt_tokens: 500, cost: '0' });
    const metrics = await (await fetch(`${requireEnv('SERVICE_URL_METERING')}/metrics`)).text();
    expect(metrics).toMatch(/vectorstack_metering_unpriced_events_total(\{[^}]*\})? [1-9]/);
  });

  it('dead-letters records it cannot use, with the reason, and carries on', async () => {
    const { tenantId, worker } = await tenantWithKeys();
    const marker = `dlq-${tenantId}`;
    // Not protobuf at all (dead-lettered by the consumer runner) and a batch whose one event has no tenant.
    await producer.producer.sendRaw(Topics.usageRecorded.name, [{ key: `${marker}-garbage`, value: Buffer.from([0xff, 0xff, 0xff, 0xff]), headers: {} }]);
    await producer.producer.sendRaw(Topics.usageRecorded.name, [
      { key: `${marker}-no-tenant`, value: Buffer.from(toBinary(UsageRecordedBatchSchema, create(UsageRecordedBatchSchema, { eventId: uuidv7(), events: [usageEvent({ tenantId: '' })] }))), headers: {} },
    ]);
    await producer.publish([usageEvent({ tenantId, keyId: worker.id })]);
    await waitForRequests(tenantId, 1, recent());

    const group = 'vectorstack-metering-ingest';
    const ours = (records: Awaited<ReturnType<typeof readTopicUntil>>) => records.filter((r) => r.key?.startsWith(marker) && r.headers['dlq-consumer-group'] === group);
    const records = await readTopicUntil(deadLetterTopicName(Topics.usageRecorded.name), (all) => ours(all).length >= 2);
    const byKey = Object.fromEntries(ours(records).map((r) => [r.key, r.headers]));
    expect(byKey[`${marker}-garbage`]).toMatchObject({ 'dlq-reason': 'decode-failed', 'dlq-source-topic': Topics.usageRecorded.name });
    expect(byKey[`${marker}-no-tenant`]).toMatchObject({ 'dlq-reason': 'invalid-event', 'dlq-error': 'no tenant_id' });
  });

  it('reports the consumer lag, back to zero once the events are in', async () => {
    const read = async () => {
      const text = await (await fetch(`${requireEnv('SERVICE_URL_METERING')}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith('vectorstack_metering_consumer_lag{') && line.includes(`topic="${Topics.usageRecorded.name}"`))
        .map((line) => Number(line.split(' ').pop()));
    };
    const lags = await eventually('the lag gauge at zero', read, (values) => values.length === Topics.usageRecorded.partitions && values.every((v) => v === 0));
    expect(lags).toHaveLength(6);
  });

  it('lets a platform admin read all tenants at once', async () => {
    const res = await usage(adminKey(), { ...recent(), group_by: 'model' });
    expect(res.status).toBe(200);
    expect(res.body.tenant_id).toBeNull();
    expect(res.body.totals.requests).toBeGreaterThanOrEqual(302);
  });
});
