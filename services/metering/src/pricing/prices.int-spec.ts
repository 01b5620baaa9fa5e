/**
 * Costs from the router's catalog: the price in effect at an event's time applies; a later
 * price change does not rewrite past costs; an event whose price became known only after it was
 * ingested is corrected, rollups included.
 */
import { adminKey, call, eventually, queryDatabase, tenantWithKeys, uniqueSuffix, unix, usage, usageEvent, UsageProducer, waitForRequests } from '../testing/metering-api';

const modelBody = (id: string, input: string, output: string) => ({
  id,
  context_window: 8192,
  max_output_tokens: 4096,
  input_price_per_1k: input,
  output_price_per_1k: output,
  deployments: [{ id: 'local', provider: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1', upstream_model: 'llama-3.1-8b' }],
});

async function priceRows(model: string) {
  return queryDatabase<{ effective_from: Date; input: string; output: string }>(
    `SELECT effective_from, input_price_per_1k::text AS input, output_price_per_1k::text AS output FROM metering.model_price WHERE model = $1 ORDER BY effective_from`,
    [model],
  );
}

async function costOf(eventId: string): Promise<string | undefined> {
  const [row] = await queryDatabase<{ cost: string }>(`SELECT cost::text AS cost FROM metering.usage_event WHERE event_id = $1`, [eventId]);
  return row?.cost;
}

describe('prices from the model catalog', () => {
  const producer = UsageProducer.create();
  const models: string[] = [];

  afterAll(async () => {
    for (const id of models) await call('DELETE', `/v1/admin/models/${id}`, { key: adminKey() });
    await producer.close();
  });

  async function createModel(input: string, output: string): Promise<string> {
    const id = `it-metering-${uniqueSuffix()}`;
    const res = await call('POST', '/v1/admin/models', { key: adminKey(), body: modelBody(id, input, output) });
    expect(res.status).toBe(201);
    models.push(id);
    return id;
  }

  it('charges each event the price in effect at its time; a price change leaves past costs alone', async () => {
    const { tenantId, worker } = await tenantWithKeys();
    const model = await createModel('0.001', '0.002');
    const [first] = await eventually('the first price', () => priceRows(model), (rows) => rows.length === 1);
    expect(first).toMatchObject({ input: '0.001000000000', output: '0.002000000000' });

    const tokens = { promptTokens: 1_000n, completionTokens: 1_000n, totalTokens: 2_000n };
    const before = usageEvent({ tenantId, keyId: worker.id, model, ...tokens });
    await producer.publish([before]);
    const range = { start: unix(new Date()) - 600, end: unix(new Date()) + 600 };
    await waitForRequests(tenantId, 1, range);

    const current = (await call('GET', `/v1/admin/models/${model}`, { key: adminKey() })).body;
    const changed = await call('PUT', `/v1/admin/models/${model}`, { key: adminKey(), body: { ...current, input_price_per_1k: '0.01', output_price_per_1k: '0.02' } });
    expect(changed.status).toBe(200);
    const rows = await eventually('the new price', () => priceRows(model), (list) => list.length === 2);
    const changedAt = rows[1]!.effective_from;

    const after = usageEvent({ tenantId, keyId: worker.id, model, ...tokens, at: new Date(Math.max(Date.now(), changedAt.getTime() + 1)) });
    // Arriving late, but it happened before the change: the old price.
    const late = usageEvent({ tenantId, keyId: worker.id, model, ...tokens, at: new Date(changedAt.getTime() - 1) });
    await producer.publish([after, late]);
    const body = await waitForRequests(tenantId, 3, range);

    expect(await costOf(before.eventId!)).toBe('0.003000000000000');
    expect(await costOf(late.eventId!)).toBe('0.003000000000000');
    expect(await costOf(after.eventId!)).toBe('0.030000000000000');
    expect(body.totals.cost).toBe('0.036');
  });

  it('re-prices events ingested before their model’s price was known, rollups included', async () => {
    const { tenantId, worker } = await tenantWithKeys();
    const model = `it-metering-late-${uniqueSuffix()}`;
    // The event is stamped a little ahead (clock skew is tolerated): the model will exist by then.
    const event = usageEvent({ tenantId, keyId: worker.id, model, promptTokens: 2_000n, completionTokens: 500n, totalTokens: 2_500n, at: new Date(Date.now() + 20_000) });
    await producer.publish([event]);
    const range = { start: unix(new Date()) - 600, end: unix(new Date()) + 600 };
    expect((await waitForRequests(tenantId, 1, range)).totals.cost).toBe('0');

    const res = await call('POST', '/v1/admin/models', { key: adminKey(), body: modelBody(model, '0.25', '1.5') });
    expect(res.status).toBe(201);
    models.push(model);
    // 2000 × 0.25 / 1000 + 500 × 1.5 / 1000
    const corrected = await eventually(
      'the corrected cost',
      async () => (await usage(adminKey(), { tenant_id: tenantId, ...range, group_by: 'hour' })).body,
      (b) => b.totals.cost === '1.25',
    );
    expect(corrected.data.reduce((sum: number, row: { requests: number }) => sum + row.requests, 0)).toBe(1);
    expect(await costOf(event.eventId!)).toBe('1.250000000000000');
    const [spend] = await queryDatabase<{ cost: string }>('SELECT cost::text AS cost FROM metering.spend_month WHERE tenant_id = $1', [tenantId]);
    expect(spend!.cost).toBe('1.250000000000000');
  });
});
