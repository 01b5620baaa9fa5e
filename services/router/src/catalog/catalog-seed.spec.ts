import { resolve } from 'node:path';
import { CatalogFileError, parseCatalogFile, readCatalogFile, seedDigest } from './catalog-file';
import { planSeed, type SeededEntry } from './catalog-seed';
import { catalogEntry } from './testing/catalog-entries';

const policy = { fileDirs: ['/var/run/secrets'] };
const PATH = '/etc/vectorstack/catalog.yaml';

const yaml = (models: string, extra = '') => `${extra}models:\n${models}`;
const vs1 = `  - id: vectorstack-1
    aliases: [vs-1]
    context_window: 8192
    max_output_tokens: 4096
    input_price_per_1k: "0.0005"
    output_price_per_1k: 0.0005
    deployments:
      - id: local-vllm
        provider: openai-compatible
        base_url: http://127.0.0.1:8000/v1
        upstream_model: meta-llama/Llama-3.1-8B-Instruct
`;
const gpt = `  - id: gpt-4o
    context_window: 128000
    max_output_tokens: 16384
    input_price_per_1k: "0.0025"
    output_price_per_1k: "0.01"
    tiers: [pro, enterprise]
    fallbacks: [vectorstack-1]
    deployments:
      - id: openai
        provider: openai-compatible
        base_url: https://api.openai.com/v1
        upstream_model: gpt-4o
        credential_ref: env:OPENAI_API_KEY
`;

function fileError(text: string): string {
  try {
    parseCatalogFile(PATH, text, policy);
  } catch (error) {
    if (error instanceof CatalogFileError) return error.message;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('catalog seed file', () => {
  it('reads entries in the admin API shape', () => {
    const file = parseCatalogFile(PATH, yaml(vs1 + gpt), policy);
    expect(file.prune).toBe(false);
    expect(file.models.map((m) => m.spec.id)).toEqual(['vectorstack-1', 'gpt-4o']);
    expect(file.models[0].spec.outputPricePer1k).toBe('0.0005');
    expect(file.models[1].spec.deployments[0].credentialRef).toBe('env:OPENAI_API_KEY');
    expect(file.models[0].digest).toBe(seedDigest(file.models[0].spec));
  });

  it('accepts the example file of the README (deploy/catalog.example.yaml)', () => {
    const example = readCatalogFile(resolve(__dirname, '../../../../deploy/catalog.example.yaml'), policy);
    expect(example.models.map((m) => [m.spec.id, m.spec.deployments[0].credentialRef])).toEqual([
      ['vectorstack-1', null],
      ['gpt-4o', 'env:OPENAI_API_KEY'],
    ]);
    expect(() => readCatalogFile('/nonexistent/catalog.yaml', policy)).toThrow('Invalid model catalog file /nonexistent/catalog.yaml: cannot be read (ENOENT)');
  });

  it.each([
    ['a plaintext credential', yaml(gpt.replace('env:OPENAI_API_KEY', 'sk-proj-abc123')), /models\[0\]\.deployments\[0\]\.credential_ref: must be a credential reference/],
    ['an unknown field', yaml(vs1.replace('    aliases', '    alias: x\n    aliases')), /models\[0\]\.alias: unknown field$/],
    ['a missing field', yaml(vs1.replace('    context_window: 8192\n', '')), /models\[0\]\.context_window: is required$/],
    ['a negative price', yaml(vs1.replace('"0.0005"', '"-1"')), /models\[0\]\.input_price_per_1k: must not be negative$/],
    ['a zero weight', yaml(vs1.replace('        upstream_model', '        weight: 0\n        upstream_model')), /models\[0\]\.deployments\[0\]\.weight: must be at least 1$/],
    ['a duplicate id', yaml(vs1 + vs1.replace('aliases: [vs-1]', 'aliases: []')), /models\[1\]\.id: 'vectorstack-1' is already the id of another entry in this file$/],
    ['an alias of another entry', yaml(vs1 + gpt.replace('    tiers', '    aliases: [vs-1]\n    tiers')), /models\[1\]\.aliases\[0\]: 'vs-1' is already an alias of 'vectorstack-1' in this file$/],
    ['a YAML syntax error', 'models:\n  - id: a\n  id: b\n', /^Invalid model catalog file \/etc\/vectorstack\/catalog.yaml: All mapping items must start at the same column at line 3, column 1$/],
    ['a top-level list', '- id: a\n', /catalog.yaml: must be a YAML mapping with a "models" list$/],
    ['no models', 'prune: true\n', /catalog.yaml: models: is required$/],
  ])('refuses %s with one line naming the file and the field', (_case, text, pattern) => {
    const message = fileError(text);
    expect(message.startsWith(`Invalid model catalog file ${PATH}: `)).toBe(true);
    expect(message).not.toContain('\n');
    expect(message).toMatch(pattern);
  });
});

describe('planSeed', () => {
  const file = (text: string) => parseCatalogFile(PATH, text, policy);
  const stored = (spec: ReturnType<typeof file>['models'][number], overrides: Parameters<typeof catalogEntry>[0] = {}, digest: string | null = spec.digest): SeededEntry => ({
    entry: catalogEntry({ ...spec.spec, version: 7n, ...overrides }),
    seedDigest: digest,
  });

  it('creates what is new and leaves alone what it applied before, even if an admin changed it since', () => {
    const seed = file(yaml(vs1 + gpt));
    const plan = planSeed(seed, [stored(seed.models[0], { disabled: true, disabledMessage: 'incident' })]);
    expect(plan.create.map((m) => m.spec.id)).toEqual(['gpt-4o']);
    expect(plan.unchanged).toEqual(['vectorstack-1']);
    expect(plan.update).toEqual([]);
  });

  it('rewrites an entry whose content in the file changed, and only records the digest when content already matches', () => {
    const before = file(yaml(vs1));
    const after = file(yaml(vs1.replace('8192', '16384')));
    expect(planSeed(after, [stored(before.models[0])]).update.map((m) => m.spec.id)).toEqual(['vectorstack-1']);
    expect(planSeed(after, [stored(after.models[0], {}, null)]).adopt.map((m) => m.spec.id)).toEqual(['vectorstack-1']);
  });

  it('keeps unlisted entries unless the file prunes, and checks names and fallbacks against the result', () => {
    const seed = file(yaml(vs1));
    const other = { entry: catalogEntry({ id: 'other', aliases: ['o'] }), seedDigest: null };
    expect(planSeed(seed, [other]).delete).toEqual([]);
    const pruning = file(yaml(vs1, 'prune: true\n'));
    expect(planSeed(pruning, [other]).delete.map((e) => e.id)).toEqual(['other']);

    const clash = { entry: catalogEntry({ id: 'other', aliases: ['vs-1'] }), seedDigest: null };
    expect(() => planSeed(seed, [clash])).toThrow(/models\[0\]\.aliases\[0\]: 'vs-1' is already an alias of the model 'other'/);
    expect(() => planSeed(file(yaml(gpt)), [])).toThrow(/models\[0\]\.fallbacks\[0\]: No model with id 'vectorstack-1'/);
    expect(planSeed(file(yaml(gpt)), [stored(file(yaml(vs1)).models[0])]).create.map((m) => m.spec.id)).toEqual(['gpt-4o']);
  });
});
