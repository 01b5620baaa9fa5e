import { zodErrorToApiError } from '@vectorstack/http';
import { createModelBody, normalizeBaseUrl, replaceModelBody, specContent, specFromBody, specProblem } from './model.schemas';

const policy = { fileDirs: ['/var/run/secrets'] };
const minimal = () => ({
  id: 'gpt-4o',
  context_window: 128_000,
  max_output_tokens: 16_384,
  input_price_per_1k: '0.0025',
  output_price_per_1k: 0.01,
  deployments: [{ id: 'openai', provider: 'openai-compatible', base_url: 'https://api.openai.com/v1/', upstream_model: 'gpt-4o', credential_ref: 'env:OPENAI_API_KEY' }],
});

function firstError(body: unknown, schema: typeof createModelBody | typeof replaceModelBody = createModelBody) {
  const result = schema.safeParse(body);
  if (result.success) throw new Error('expected a validation error');
  const error = zodErrorToApiError(result.error);
  return { code: error.code, param: error.param };
}

describe('model entry schema', () => {
  it('fills defaults, keeps prices exact and drops the trailing slash of the base URL', () => {
    const spec = specFromBody(createModelBody.parse(minimal()), 'gpt-4o');
    expect(spec).toMatchObject({
      displayName: 'gpt-4o',
      ownedBy: 'vectorstack',
      aliases: [],
      tiers: ['free', 'starter', 'pro', 'enterprise'],
      disabled: false,
      disabledMessage: null,
      fallbacks: [],
      inputPricePer1k: '0.0025',
      outputPricePer1k: '0.01',
    });
    expect(spec.deployments[0]).toEqual({
      id: 'openai',
      provider: 'openai-compatible',
      baseUrl: 'https://api.openai.com/v1',
      upstreamModel: 'gpt-4o',
      credentialRef: 'env:OPENAI_API_KEY',
      weight: 1,
      timeoutMs: 60_000,
      maxRetries: 2,
    });
    expect(specProblem(spec, policy)).toBeUndefined();
  });

  it.each([
    ['an unknown field', { ...minimal(), secret: 'x' }, 'unknown_parameter', 'secret'],
    ['an unknown deployment field', { ...minimal(), deployments: [{ ...minimal().deployments[0], api_key: 'sk-1' }] }, 'unknown_parameter', 'deployments[0].api_key'],
    ['a negative price', { ...minimal(), input_price_per_1k: '-0.001' }, 'invalid_value', 'input_price_per_1k'],
    ['a price that is no number', { ...minimal(), output_price_per_1k: 'cheap' }, 'invalid_value', 'output_price_per_1k'],
    ['a bad base URL', { ...minimal(), deployments: [{ ...minimal().deployments[0], base_url: 'ftp://x' }] }, 'invalid_value', 'deployments[0].base_url'],
    ['credentials in the base URL', { ...minimal(), deployments: [{ ...minimal().deployments[0], base_url: 'https://u:p@h/v1' }] }, 'invalid_value', 'deployments[0].base_url'],
    ['a zero weight', { ...minimal(), deployments: [{ ...minimal().deployments[0], weight: 0 }] }, 'invalid_value', 'deployments[0].weight'],
    ['a negative weight', { ...minimal(), deployments: [{ ...minimal().deployments[0], weight: -2 }] }, 'invalid_value', 'deployments[0].weight'],
    ['an unknown provider', { ...minimal(), deployments: [{ ...minimal().deployments[0], provider: 'gemini' }] }, 'invalid_value', 'deployments[0].provider'],
    ['no deployment', { ...minimal(), deployments: [] }, 'invalid_value', 'deployments'],
    ['two deployments with one id', { ...minimal(), deployments: [minimal().deployments[0], minimal().deployments[0]] }, 'invalid_value', 'deployments[1].id'],
    ['an alias listed twice', { ...minimal(), aliases: ['a', 'a'] }, 'invalid_value', 'aliases[1]'],
    ['a slash in the id', { ...minimal(), id: 'a/b' }, 'invalid_value', 'id'],
    ['the reserved id', { ...minimal(), id: 'openapi.json' }, 'invalid_value', 'id'],
    ['an unknown tier', { ...minimal(), tiers: ['gold'] }, 'invalid_value', 'tiers[0]'],
    ['a missing context window', { ...minimal(), context_window: undefined }, 'missing_required_parameter', 'context_window'],
  ])('refuses %s', (_case, body, code, param) => {
    expect(firstError(body)).toEqual({ code, param });
  });

  it('refuses plaintext credentials and rules across fields, naming the field', () => {
    const check = (body: object) => specProblem(specFromBody(createModelBody.parse(body), 'gpt-4o'), policy);
    const withRef = (credential_ref: string) => ({ ...minimal(), deployments: [{ ...minimal().deployments[0], credential_ref }] });
    expect(check(withRef('sk-proj-0123456789'))).toMatchObject({ code: 'invalid_credential_ref', param: 'deployments[0].credential_ref' });
    expect(check(withRef('file:/etc/shadow'))).toMatchObject({ code: 'invalid_credential_ref', param: 'deployments[0].credential_ref' });
    expect(check(withRef('file:/var/run/secrets/openai/key'))).toBeUndefined();
    expect(check({ ...minimal(), aliases: ['x', 'gpt-4o'] })).toMatchObject({ param: 'aliases[1]' });
    expect(check({ ...minimal(), fallbacks: ['gpt-4o'] })).toMatchObject({ param: 'fallbacks[0]' });
    expect(check({ ...minimal(), max_output_tokens: 200_000 })).toMatchObject({ param: 'max_output_tokens' });
    expect(check({ ...minimal(), disabled_message: 'down' })).toMatchObject({ param: 'disabled_message' });
    expect(check({ ...minimal(), disabled: true, disabled_message: 'down' })).toBeUndefined();
  });

  it('takes back what GET returned on PUT, and compares entries by content', () => {
    const view = { ...minimal(), object: 'model', created: 1, updated_at: 2, version: 3 };
    expect(replaceModelBody.safeParse(view).success).toBe(true);
    expect(firstError({ ...view, version: 0 }, replaceModelBody)).toEqual({ code: 'invalid_value', param: 'version' });
    const a = specFromBody(createModelBody.parse(minimal()), 'gpt-4o');
    const b = specFromBody(createModelBody.parse({ ...minimal(), input_price_per_1k: 0.0025, output_price_per_1k: '0.0100' }), 'gpt-4o');
    expect(specContent(a)).toBe(specContent(b));
    expect(specContent(a)).not.toBe(specContent({ ...a, disabled: true }));
  });

  it('normalises base URLs and refuses secrets in their query', () => {
    expect(normalizeBaseUrl('http://127.0.0.1:11434/v1/')).toEqual({ ok: true, value: 'http://127.0.0.1:11434/v1' });
    expect(normalizeBaseUrl('https://x.openai.azure.com/openai?api-version=2024-06-01')).toEqual({
      ok: true,
      value: 'https://x.openai.azure.com/openai?api-version=2024-06-01',
    });
    expect(normalizeBaseUrl('https://api.example.com/v1?api_key=sk-1')).toMatchObject({ ok: false });
    expect(normalizeBaseUrl('https://api.example.com/v1#x')).toMatchObject({ ok: false });
    expect(normalizeBaseUrl('not a url')).toMatchObject({ ok: false });
  });
});
