/**
 * Two router processes started separately (`node services/router/dist/main.js`, the build of
 * `vs.mjs up`, with the platform's environment) each rebuild the catalog from the compacted topic
 * before they listen, and an admin change made through the ingress reaches both within a second.
 */
import { uniqueSuffix } from '@vectorstack/testing';
import { adminKey, call, createModel, deleteModels, ready, sleep, startRouterProcess, type RouterProcess } from '../testing/router-api';

/** Polls one replica until `done` holds for GET /v1/models/{id}; returns when it first did. */
async function seenAt(router: RouterProcess, id: string, done: (status: number, body: any) => boolean, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${router.url}/v1/models/${id}`, { headers: { authorization: `Bearer ${adminKey()}` } });
    const body = await res.json();
    if (done(res.status, body)) return Date.now();
    if (Date.now() > deadline) throw new Error(`${router.url}: still ${res.status} ${JSON.stringify(body)} after ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('catalog across separately started router processes', () => {
  const id = `it-replicas-${uniqueSuffix()}`;
  let replicas: RouterProcess[] = [];

  beforeAll(async () => {
    // Created before the processes start: they must learn it by reading the topic from the beginning.
    await createModel({
      id,
      context_window: 8192,
      max_output_tokens: 1024,
      input_price_per_1k: '0.0005',
      output_price_per_1k: '0.0005',
      deployments: [{ id: 'local', provider: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1', upstream_model: 'm' }],
    });
    replicas = await Promise.all([startRouterProcess(), startRouterProcess()]);
    await Promise.all(replicas.map((replica) => ready(replica)));
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await deleteModels([id]);
  });

  it('serves the catalog as it was before the process started, as soon as it listens', async () => {
    for (const replica of replicas) {
      const res = await fetch(`${replica.url}/v1/models/${id}`, { headers: { authorization: `Bearer ${adminKey()}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id, max_output_tokens: 1024 });
    }
  });

  it('shows an update, a disable and a delete made through the ingress on both processes within one second', async () => {
    const current = (await call('GET', `/v1/admin/models/${id}`, { key: adminKey() })).body;

    const updated = await call('PUT', `/v1/admin/models/${id}`, { key: adminKey(), body: { ...current, max_output_tokens: 2048 } });
    expect(updated.status).toBe(200);
    const afterUpdate = Date.now();
    const updateMs = (await Promise.all(replicas.map((r) => seenAt(r, id, (status, body) => status === 200 && body.max_output_tokens === 2048)))).map((t) => t - afterUpdate);

    expect((await call('POST', `/v1/admin/models/${id}/disable`, { key: adminKey(), body: { message: 'replica test' } })).status).toBe(200);
    const afterDisable = Date.now();
    const disableMs = (await Promise.all(replicas.map((r) => seenAt(r, id, (status, body) => status === 403 && body.error.code === 'MODEL_DISABLED')))).map(
      (t) => t - afterDisable,
    );

    expect((await call('DELETE', `/v1/admin/models/${id}`, { key: adminKey() })).status).toBe(200);
    const afterDelete = Date.now();
    const deleteMs = (await Promise.all(replicas.map((r) => seenAt(r, id, (status, body) => status === 404 && body.error.code === 'model_not_found')))).map(
      (t) => t - afterDelete,
    );

    console.log(`catalog propagation to two router processes (ms): update ${updateMs}, disable ${disableMs}, delete ${deleteMs}`);
    for (const ms of [...updateMs, ...disableMs, ...deleteMs]) expect(ms).toBeLessThan(1_000);
  });
});
