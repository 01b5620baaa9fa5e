/** GET /v1/models and /v1/models/{id} through the ingress: only what the key's tier and allow-list permit, with the official SDK too. */
import { uniqueSuffix } from '@vectorstack/testing';
import OpenAI from 'openai';
import { adminKey, baseUrl, call, createKey, createModel, createTenant, deleteModels, eventually, expectOpenAIError, modelBody } from '../testing/router-api';

describe('model list', () => {
  const run = uniqueSuffix();
  const ids = { all: `it-list-all-${run}`, pro: `it-list-pro-${run}`, off: `it-list-off-${run}`, ent: `it-list-ent-${run}` };
  const entAlias = `it-list-ent-alias-${run}`;
  const keys: Record<'free' | 'proListed' | 'entListed' | 'embeddings' | 'data', string> = {} as never;

  beforeAll(async () => {
    await createModel(modelBody(ids.all, { display_name: 'Everyone', owned_by: 'it', input_price_per_1k: '0.0005', output_price_per_1k: '0.0015' }));
    await createModel(modelBody(ids.pro, { tiers: ['pro', 'enterprise'] }));
    await createModel(modelBody(ids.off, { disabled: true, disabled_message: 'Upstream outage until 14:00 UTC' }));
    await createModel(modelBody(ids.ent, { tiers: ['enterprise'], aliases: [entAlias] }));
    const tenant = await createTenant();
    keys.free = await createKey(tenant.id, { tier: 'free', scopes: ['chat'] });
    keys.proListed = await createKey(tenant.id, { tier: 'pro', scopes: ['chat'], models: [ids.all, entAlias, ids.off] });
    keys.entListed = await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat'], models: [entAlias] });
    keys.embeddings = await createKey(tenant.id, { tier: 'pro', scopes: ['embeddings'] });
    keys.data = await createKey(tenant.id, { tier: 'enterprise', scopes: ['data'] });
  });

  afterAll(async () => {
    await deleteModels(Object.values(ids));
  });

  const listIds = async (key: string) => {
    const res = await call('GET', '/v1/models', { key });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('list');
    return (res.body.data as Array<{ id: string }>).map((m) => m.id);
  };
  const mine = (list: string[]) => list.filter((id) => Object.values(ids).includes(id));

  it('lists only enabled models of the key’s tier, intersected with its allow-list (by id or alias)', async () => {
    expect(mine(await listIds(keys.free))).toEqual([ids.all]);
    expect(mine(await listIds(keys.embeddings))).toEqual([ids.all, ids.pro].sort());
    expect(await listIds(keys.proListed)).toEqual([ids.all]);
    expect(await listIds(keys.entListed)).toEqual([ids.ent]);
    expect(mine(await listIds(adminKey()))).toEqual([ids.all, ids.ent, ids.pro].sort());
    expectOpenAIError(await call('GET', '/v1/models', { key: keys.data }), 403, 'permission_error', 'insufficient_scope');
  });

  it('answers in the OpenAI model shape with context, limits and exact prices, and nothing about deployments', async () => {
    const res = await call('GET', `/v1/models/${ids.all}`, { key: keys.free });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: ids.all,
      object: 'model',
      created: expect.any(Number),
      owned_by: 'it',
      display_name: 'Everyone',
      aliases: [],
      context_window: 8192,
      max_output_tokens: 4096,
      pricing: { currency: 'USD', input_per_1k: '0.0005', output_per_1k: '0.0015' },
    });
    const byAlias = await call('GET', `/v1/models/${entAlias}`, { key: keys.entListed });
    expect(byAlias.body).toMatchObject({ id: ids.ent, aliases: [entAlias] });
  });

  it('answers 404 model_not_found, 403 model_access_denied and 403 MODEL_DISABLED with the alternatives', async () => {
    expectOpenAIError(await call('GET', `/v1/models/it-nope-${run}`, { key: keys.free }), 404, 'invalid_request_error', 'model_not_found');
    expectOpenAIError(await call('GET', `/v1/models/${ids.pro}`, { key: keys.free }), 403, 'permission_error', 'model_access_denied');
    expectOpenAIError(await call('GET', `/v1/models/${ids.pro}`, { key: keys.proListed }), 403, 'permission_error', 'model_access_denied');
    expectOpenAIError(await call('GET', `/v1/models/${ids.ent}`, { key: keys.proListed }), 403, 'permission_error', 'model_access_denied');
    const disabled = await call('GET', `/v1/models/${ids.off}`, { key: keys.proListed });
    expectOpenAIError(disabled, 403, 'permission_error', 'MODEL_DISABLED');
    expect(disabled.body.error.message).toBe(
      `The model '${ids.off}' has been disabled by the administrator: Upstream outage until 14:00 UTC. Available models: ${ids.all} (GET /v1/models lists them).`,
    );
  });

  it('follows admin changes: a disabled model leaves the list, an enabled one comes back', async () => {
    await call('POST', `/v1/admin/models/${ids.all}/disable`, { key: adminKey() });
    await eventually(async () => expect(await listIds(keys.proListed)).toEqual([]));
    await call('POST', `/v1/admin/models/${ids.off}/enable`, { key: adminKey() });
    await call('POST', `/v1/admin/models/${ids.all}/enable`, { key: adminKey() });
    await eventually(async () => expect(await listIds(keys.proListed)).toEqual([ids.all, ids.off].sort()));
  });

  it('works with the official openai SDK, errors included', async () => {
    const client = new OpenAI({ apiKey: keys.entListed, baseURL: `${baseUrl()}/v1`, maxRetries: 0 });
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([ids.ent]);
    expect(await client.models.retrieve(entAlias)).toMatchObject({ id: ids.ent, object: 'model', owned_by: 'vectorstack' });
    await expect(client.models.retrieve(ids.pro)).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(client.models.retrieve(`it-nope-${run}`)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
