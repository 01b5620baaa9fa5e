/** Bad catalog requests get 400 (409 for taken names) in the OpenAI shape with `param`, and write nothing. */
import { queryDatabase, uniqueSuffix } from '@vectorstack/testing';
import { adminKey, call, createModel, deleteModels, expectOpenAIError, modelBody, type ApiResponse } from '../testing/router-api';

/** Everything stored about these ids: entries, deployments, outbox records. */
async function footprint(ids: readonly string[]) {
  const [row] = await queryDatabase<{ models: string; deployments: string; outbox: string }>(
    `SELECT (SELECT coalesce(json_agg(m ORDER BY m.id)::text, '') FROM router.model m WHERE m.id = ANY($1)) AS models,
            (SELECT count(*) FROM router.model_deployment d WHERE d.model_id = ANY($1)) AS deployments,
            (SELECT count(*) FROM router.model_catalog_outbox o WHERE o.model_id = ANY($1)) AS outbox`,
    [ids],
  );
  return row;
}

describe('catalog bad input', () => {
  let existing: Record<string, any>;
  let other: Record<string, any>;
  const id = `it-bad-${uniqueSuffix()}`;
  const deployment = () => modelBody().deployments[0];

  beforeAll(async () => {
    existing = await createModel(modelBody(`it-bad-existing-${uniqueSuffix()}`, { aliases: [`alias-${uniqueSuffix()}`] }));
    other = await createModel(modelBody(`it-bad-other-${uniqueSuffix()}`));
  });

  afterAll(async () => {
    await deleteModels([existing.id, other.id]);
  });

  const postCases: Array<[string, () => Parameters<typeof call>[2], number, string, string | null]> = [
    ['malformed JSON', () => ({ rawBody: '{"id": "x",' }), 400, 'invalid_json', null],
    ['a body that is not an object', () => ({ rawBody: '[1,2]' }), 400, 'invalid_body', null],
    ['an unknown field', () => ({ body: { ...modelBody(id), api_key: 'sk-1' } }), 400, 'unknown_parameter', 'api_key'],
    ['a missing field', () => ({ body: { ...modelBody(id), deployments: undefined } }), 400, 'missing_required_parameter', 'deployments'],
    ['a bad base URL', () => ({ body: modelBody(id, { deployments: [{ ...deployment(), base_url: 'not a url' }] }) }), 400, 'invalid_value', 'deployments[0].base_url'],
    ['a non-http base URL', () => ({ body: modelBody(id, { deployments: [{ ...deployment(), base_url: 'file:///etc/passwd' }] }) }), 400, 'invalid_value', 'deployments[0].base_url'],
    ['a negative price', () => ({ body: modelBody(id, { input_price_per_1k: -0.001 }) }), 400, 'invalid_value', 'input_price_per_1k'],
    ['a negative price as a string', () => ({ body: modelBody(id, { output_price_per_1k: '-1' }) }), 400, 'invalid_value', 'output_price_per_1k'],
    ['a zero weight', () => ({ body: modelBody(id, { deployments: [{ ...deployment(), weight: 0 }] }) }), 400, 'invalid_value', 'deployments[0].weight'],
    ['a negative weight', () => ({ body: modelBody(id, { deployments: [deployment(), { ...deployment(), id: 'b', weight: -1 }] }) }), 400, 'invalid_value', 'deployments[1].weight'],
    ['an unknown provider', () => ({ body: modelBody(id, { deployments: [{ ...deployment(), provider: 'gemini' }] }) }), 400, 'invalid_value', 'deployments[0].provider'],
    ['a plaintext credential', () => ({ body: modelBody(id, { deployments: [{ ...deployment(), credential_ref: 'sk-live-0123456789' }] }) }), 400, 'invalid_credential_ref', 'deployments[0].credential_ref'],
    ['a file outside the secret directories', () => ({ body: modelBody(id, { deployments: [{ ...deployment(), credential_ref: 'file:/etc/shadow' }] }) }), 400, 'invalid_credential_ref', 'deployments[0].credential_ref'],
    ["the platform's own secret", () => ({ body: modelBody(id, { deployments: [{ ...deployment(), credential_ref: 'env:KEY_HASH_SECRET' }] }) }), 400, 'invalid_credential_ref', 'deployments[0].credential_ref'],
    ['a fallback to an unknown model', () => ({ body: modelBody(id, { fallbacks: [other.id, `nope-${uniqueSuffix()}`] }) }), 400, 'unknown_fallback', 'fallbacks[1]'],
    ['a fallback to itself', () => ({ body: modelBody(id, { fallbacks: [id] }) }), 400, 'invalid_value', 'fallbacks[0]'],
    ['more output than context', () => ({ body: modelBody(id, { max_output_tokens: 10_000 }) }), 400, 'invalid_value', 'max_output_tokens'],
    ['an unknown tier', () => ({ body: modelBody(id, { tiers: ['gold'] }) }), 400, 'invalid_value', 'tiers[0]'],
    ['an existing id', () => ({ body: modelBody(existing.id) }), 409, 'model_exists', 'id'],
    ['an id that is another entry’s alias', () => ({ body: modelBody(existing.aliases[0]) }), 409, 'alias_taken', 'id'],
    ['an alias that is another entry’s id', () => ({ body: modelBody(id, { aliases: ['fresh', other.id] }) }), 409, 'alias_taken', 'aliases[1]'],
    ['an alias that is another entry’s alias', () => ({ body: modelBody(id, { aliases: [existing.aliases[0]] }) }), 409, 'alias_taken', 'aliases[0]'],
  ];

  it.each(postCases)('POST /v1/admin/models with %s is refused, writing nothing', async (_name, request, status, code, param) => {
    const before = await footprint([id, existing.id, other.id]);
    const res = await call('POST', '/v1/admin/models', { key: adminKey(), ...request() });
    expectOpenAIError(res, status, 'invalid_request_error', code, param);
    expect(await footprint([id, existing.id, other.id])).toEqual(before);
  });

  it('validates PUT, disable and enable the same way, changing nothing', async () => {
    const before = await footprint([existing.id, other.id]);
    const put = (body: unknown): Promise<ApiResponse> => call('PUT', `/v1/admin/models/${existing.id}`, { key: adminKey(), body });
    expectOpenAIError(await put({ ...existing, input_price_per_1k: '-0.5' }), 400, 'invalid_request_error', 'invalid_value', 'input_price_per_1k');
    expectOpenAIError(await put({ ...existing, aliases: [other.id] }), 409, 'invalid_request_error', 'alias_taken', 'aliases[0]');
    expectOpenAIError(await put({ ...existing, fallbacks: [`nope-${uniqueSuffix()}`] }), 400, 'invalid_request_error', 'unknown_fallback', 'fallbacks[0]');
    expectOpenAIError(await put({ ...existing, deployments: [{ ...existing.deployments[0], credential_ref: 'Bearer sk-123' }] }), 400, 'invalid_request_error', 'invalid_credential_ref', 'deployments[0].credential_ref');
    expectOpenAIError(await put({ ...existing, surprise: 1 }), 400, 'invalid_request_error', 'unknown_parameter', 'surprise');
    const disable = (body: unknown) => call('POST', `/v1/admin/models/${existing.id}/disable`, { key: adminKey(), body });
    expectOpenAIError(await disable({ reason: 'x' }), 400, 'invalid_request_error', 'unknown_parameter', 'reason');
    expectOpenAIError(await disable({ message: 'x'.repeat(1001) }), 400, 'invalid_request_error', 'invalid_value', 'message');
    expectOpenAIError(await call('POST', `/v1/admin/models/${existing.id}/enable`, { key: adminKey(), body: { message: 'x' } }), 400, 'invalid_request_error', 'unknown_parameter', 'message');
    expectOpenAIError(await call('GET', '/v1/admin/models/not%20an%20id', { key: adminKey() }), 404, 'invalid_request_error', 'model_not_found');
    expect(await footprint([existing.id, other.id])).toEqual(before);
  });
});
