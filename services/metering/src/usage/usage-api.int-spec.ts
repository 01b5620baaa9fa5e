/**
 * The usage API over events published on the real usage topic and ingested by the running
 * metering service: totals and series equal the published numbers (costs exact to the last
 * decimal), any sub-range reads exactly, the CSV export holds the same numbers, tenants see only
 * their own usage.
 */
import { adminKey, call, expectedCost, expectOpenAIError, pricedModel, tenantWithKeys, unix, usage, usageEvent, UsageProducer, waitForRequests, type UsageInit } from '../testing/metering-api';

describe('usage API', () => {
  const producer = UsageProducer.create();
  let tenant: Awaited<ReturnType<typeof tenantWithKeys>>;
  let other: Awaited<ReturnType<typeof tenantWithKeys>>;
  let cheap: string;
  let premium: string;
  const events: UsageInit[] = [];
  // Yesterday, UTC: a day entirely in the past whatever the time of the run.
  const day = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000);
  const at = (hh: number, mm: number, ss = 0) => new Date(day.getTime() + ((hh * 60 + mm) * 60 + ss) * 1000);
  const range = { start: unix(day), end: unix(day) + 86_400 };

  beforeAll(async () => {
    [tenant, other, cheap, premium] = await Promise.all([tenantWithKeys(), tenantWithKeys(), pricedModel('0.0005', '0.0015'), pricedModel('0.003', '0.015')]);
    const times = [at(10, 5, 10), at(10, 5, 40), at(10, 59, 59), at(11, 0, 0), at(11, 30, 0), at(23, 59, 59)];
    times.forEach((time, i) => {
      events.push(usageEvent({ tenantId: tenant.tenantId, keyId: tenant.worker.id, model: cheap, at: time, promptTokens: BigInt(100 + i), completionTokens: BigInt(7 * i), totalTokens: BigInt(100 + 8 * i) }));
      events.push(usageEvent({ tenantId: tenant.tenantId, keyId: tenant.reader.id, model: premium, at: time, promptTokens: 1_234n, completionTokens: 567n, totalTokens: 1_801n, httpStatus: i === 2 ? 500 : 200 }));
    });
    // Another tenant's usage in the same hours, and an inference record of a routed call (not charged).
    await producer.publish([
      ...events,
      usageEvent({ tenantId: other.tenantId, keyId: other.worker.id, model: cheap, at: at(10, 30), promptTokens: 999n }),
      usageEvent({ tenantId: tenant.tenantId, keyId: tenant.worker.id, model: cheap, at: at(10, 30), source: 2, endpoint: '/v1/chat/completions', promptTokens: 5_000n }),
    ]);
    await waitForRequests(tenant.tenantId, events.length, range);
    await waitForRequests(other.tenantId, 1, range);
  });

  afterAll(async () => {
    await producer.close();
  });

  const sum = (list: UsageInit[], field: 'promptTokens' | 'completionTokens' | 'totalTokens') => list.reduce((total, e) => total + Number(e[field] ?? 0), 0);
  const cheapEvents = () => events.filter((e) => e.model === cheap);
  const premiumEvents = () => events.filter((e) => e.model === premium);
  const totalCost = () => addDecimals(expectedCost(cheapEvents(), '0.0005', '0.0015'), expectedCost(premiumEvents(), '0.003', '0.015'));

  it('totals the tenant’s events exactly, by model', async () => {
    const res = await usage(tenant.reader.key, { ...range, group_by: 'model' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'usage', tenant_id: tenant.tenantId, start: range.start, end: range.end, group_by: 'model', currency: 'usd' });
    expect(res.body.totals).toEqual({
      requests: 12,
      errors: 1,
      prompt_tokens: sum(events, 'promptTokens'),
      completion_tokens: sum(events, 'completionTokens'),
      total_tokens: sum(events, 'totalTokens'),
      cost: totalCost(),
    });
    const byModel = Object.fromEntries(res.body.data.map((row: { model: string }) => [row.model, row]));
    expect(byModel[cheap]).toMatchObject({ requests: 6, errors: 0, prompt_tokens: sum(cheapEvents(), 'promptTokens'), cost: expectedCost(cheapEvents(), '0.0005', '0.0015') });
    expect(byModel[premium]).toMatchObject({ requests: 6, errors: 1, cost: expectedCost(premiumEvents(), '0.003', '0.015') });
    expect(res.body.data).toHaveLength(2);
  });

  it('groups by key', async () => {
    const res = await usage(tenant.reader.key, { ...range, group_by: 'key' });
    expect(res.body.data.map((row: { key_id: string; requests: number }) => [row.key_id, row.requests]).sort()).toEqual([[tenant.reader.id, 6], [tenant.worker.id, 6]].sort());
  });

  it('gives every hour of the range as a series, empty hours included', async () => {
    const res = await usage(tenant.reader.key, { ...range, group_by: 'hour' });
    expect(res.body.data).toHaveLength(24);
    const requests = res.body.data.map((row: { requests: number }) => row.requests);
    expect(requests[10]).toBe(6);
    expect(requests[11]).toBe(4);
    expect(requests[23]).toBe(2);
    expect(requests.reduce((a: number, b: number) => a + b, 0)).toBe(12);
    expect(res.body.data[10]).toMatchObject({ start_time: range.start + 10 * 3_600, end_time: range.start + 11 * 3_600 });
  });

  it('reads any sub-range exactly, down to the second (rollup edges and raw events)', async () => {
    // 10:05:20 → 11:00:00 holds the events at 10:05:40 and 10:59:59 of both models.
    const res = await usage(tenant.reader.key, { start: unix(at(10, 5, 20)), end: unix(at(11, 0, 0)), group_by: 'day' });
    expect(res.body.totals.requests).toBe(4);
    expect(res.body.data).toEqual([expect.objectContaining({ start_time: unix(at(10, 5, 20)), end_time: unix(at(11, 0, 0)), requests: 4 })]);
    const within = events.filter((e) => [unix(at(10, 5, 40)), unix(at(10, 59, 59))].includes(Number(e.occurredAt!.seconds)));
    expect(res.body.totals.prompt_tokens).toBe(sum(within, 'promptTokens'));
    // The same with RFC 3339 and a filter on the model.
    const rfc = await usage(tenant.reader.key, { start: at(10, 5, 20).toISOString(), end: at(11, 0, 1).toISOString(), model: premium });
    expect(rfc.body.totals).toMatchObject({ requests: 3, errors: 1, prompt_tokens: 3 * 1_234 });
  });

  it('exports the same numbers as CSV, hourly per key and model', async () => {
    const res = await fetch(`${process.env.VECTORSTACK_BASE_URL}/v1/usage/export?format=csv&start=${range.start}&end=${range.end}`, { headers: { authorization: `Bearer ${tenant.reader.key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const [header, ...lines] = (await res.text()).trim().split('\r\n');
    expect(header).toBe('hour_start,tenant_id,key_id,model,requests,errors,prompt_tokens,completion_tokens,total_tokens,cost_usd');
    const rows = lines.map((line) => line.split(','));
    expect(rows.every((row) => row[1] === tenant.tenantId)).toBe(true);
    expect(rows.reduce((total, row) => total + Number(row[4]), 0)).toBe(12);
    expect(addDecimals(...rows.map((row) => row[9]!))).toBe(totalCost());
    const hour10 = rows.filter((row) => row[0] === at(10, 0).toISOString() && row[3] === premium);
    expect(hour10).toEqual([[at(10, 0).toISOString(), tenant.tenantId, tenant.reader.id, premium, '3', '1', '3702', '1701', '5403', expectedCost(premiumEvents().slice(0, 3), '0.003', '0.015')]]);
  });

  it('exports raw events, the uncharged inference record included', async () => {
    const res = await fetch(`${process.env.VECTORSTACK_BASE_URL}/v1/usage/export?rows=events&start=${range.start}&end=${range.end}`, { headers: { authorization: `Bearer ${tenant.reader.key}` } });
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]!.split(',')).toContain('charged');
    expect(lines).toHaveLength(1 + 13);
    expect(lines.filter((line) => line.includes(',inference,') && line.includes(',false,0'))).toHaveLength(1);
  });

  it('never shows a tenant another tenant’s usage', async () => {
    const mine = await usage(other.reader.key, { ...range, group_by: 'key' });
    expect(mine.body.totals.requests).toBe(1);
    expect(mine.body.data).toEqual([expect.objectContaining({ key_id: other.worker.id, requests: 1 })]);
    // Naming the other tenant's key finds nothing; naming the other tenant is refused.
    expect((await usage(other.reader.key, { ...range, key_id: tenant.worker.id })).body.totals.requests).toBe(0);
    expectOpenAIError(await usage(other.reader.key, { ...range, tenant_id: tenant.tenantId }), 403, 'permission_error', 'tenant_forbidden', 'tenant_id');
    const exported = await fetch(`${process.env.VECTORSTACK_BASE_URL}/v1/usage/export?start=${range.start}&end=${range.end}&tenant_id=${tenant.tenantId}`, { headers: { authorization: `Bearer ${other.reader.key}` } });
    expect(exported.status).toBe(403);
    // A platform admin reads either.
    expect((await usage(adminKey(), { ...range, tenant_id: tenant.tenantId })).body.totals.requests).toBe(12);
  });

  it('needs the usage:read scope', async () => {
    expectOpenAIError(await usage(tenant.worker.key, range), 403, 'permission_error', 'insufficient_scope');
    expectOpenAIError(await call('GET', `/v1/usage?start=${range.start}`), 401, 'authentication_error', 'missing_api_key');
  });

  it.each([
    ['no start', {}, 'missing_required_parameter', 'start'],
    ['a start that is no time', { start: 'yesterday' }, 'invalid_value', 'start'],
    ['a date without a zone', { start: '2025-07-01T00:00:00' }, 'invalid_value', 'start'],
    ['an end before the start', { start: 1_751_400_000, end: 1_751_300_000 }, 'invalid_value', 'end'],
    ['an empty range', { start: 1_751_400_000, end: 1_751_400_000 }, 'invalid_value', 'end'],
    ['more than 31 days by hour', { start: 1_751_328_000, end: 1_751_328_000 + 31 * 86_400 + 1, group_by: 'hour' }, 'invalid_value', 'end'],
    ['more than 400 days by day', { start: 1_700_000_000, end: 1_700_000_000 + 401 * 86_400, group_by: 'day' }, 'invalid_value', 'end'],
    ['an unknown grouping', { start: 1_751_328_000, group_by: 'week' }, 'invalid_value', 'group_by'],
    ['an unknown parameter', { start: 1_751_328_000, granularity: 'day' }, 'unknown_parameter', 'granularity'],
    ['a malformed key id', { start: 1_751_328_000, key_id: 'not a key' }, 'invalid_value', 'key_id'],
  ] as const)('refuses %s with 400 naming the parameter', async (_case, query, code, param) => {
    expectOpenAIError(await usage(tenant.reader.key, query), 400, 'invalid_request_error', code, param);
  });

  it.each([
    ['a format other than csv', { format: 'xlsx' }, 'format'],
    ['raw events over more than 31 days', { rows: 'events', start: 1_751_328_000, end: 1_751_328_000 + 32 * 86_400 }, 'end'],
  ] as const)('refuses an export with %s', async (_case, query, param) => {
    const search = new URLSearchParams(Object.entries({ start: range.start, end: range.end, ...query }).map(([k, v]): [string, string] => [k, String(v)]));
    expectOpenAIError(await call('GET', `/v1/usage/export?${search}`, { key: tenant.reader.key }), 400, 'invalid_request_error', 'invalid_value', param);
  });

  it('refuses an all-tenant raw-event export', async () => {
    expectOpenAIError(await call('GET', `/v1/usage/export?rows=events&start=${range.start}&end=${range.end}`, { key: adminKey() }), 400, 'invalid_request_error', 'invalid_value', 'tenant_id');
  });
});

/** Sum of canonical decimal strings, exactly (BigInt at 15 decimals). */
function addDecimals(...values: string[]): string {
  const scale = 15;
  let total = 0n;
  for (const value of values) {
    const [int = '0', frac = ''] = value.split('.');
    total += BigInt(int) * 10n ** BigInt(scale) + BigInt((frac + '0'.repeat(scale)).slice(0, scale));
  }
  const text = total.toString().padStart(scale + 1, '0');
  const frac = text.slice(-scale).replace(/0+$/, '');
  return frac ? `${text.slice(0, -scale)}.${frac}` : text.slice(0, -scale);
}
