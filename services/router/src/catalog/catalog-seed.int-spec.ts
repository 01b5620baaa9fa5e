/**
 * The YAML seed file (ROUTER_CATALOG_FILE) applied by real router processes: once when replicas
 * start together, not again unless the file's content changes (an admin's later change stands),
 * and a bad file stops the process with one line naming the file and the field.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryDatabase, uniqueSuffix } from '@vectorstack/testing';
import { adminKey, call, deleteModels, ready, startRouterProcess } from '../testing/router-api';

const dir = mkdtempSync(join(tmpdir(), 'router-catalog-'));
const run = uniqueSuffix();
const base = `it-seed-${run}-base`;
const premium = `it-seed-${run}-premium`;

function seedFile(name: string, options: { premiumContext?: number; fallback?: string; credential?: string } = {}): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `models:
  - id: ${base}
    aliases: [${base}-alias]
    context_window: 8192
    max_output_tokens: 4096
    input_price_per_1k: "0.0005"
    output_price_per_1k: "0.0005"
    deployments:
      - id: local-vllm
        provider: openai-compatible
        base_url: http://127.0.0.1:8000/v1
        upstream_model: meta-llama/Llama-3.1-8B-Instruct
  - id: ${premium}
    context_window: ${options.premiumContext ?? 128000}
    max_output_tokens: 16384
    input_price_per_1k: "0.0025"
    output_price_per_1k: "0.01"
    tiers: [pro, enterprise]
    fallbacks: [${options.fallback ?? base}]
    deployments:
      - id: openai
        provider: openai-compatible
        base_url: https://api.openai.com/v1
        upstream_model: gpt-4o
        credential_ref: ${options.credential ?? 'env:OPENAI_API_KEY'}
`,
  );
  return path;
}

async function entry(id: string) {
  const res = await call('GET', `/v1/admin/models/${id}`, { key: adminKey() });
  return res.status === 200 ? res.body : undefined;
}

/** Starts a router with the file, waits until it listens, stops it. */
async function startWith(file: string): Promise<void> {
  const router = await startRouterProcess({ ROUTER_CATALOG_FILE: file });
  try {
    await ready(router);
  } finally {
    await router.stop();
  }
}

describe('catalog seed file at start-up', () => {
  afterAll(async () => {
    await deleteModels([base, premium]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['a plaintext credential', () => seedFile('plaintext.yaml', { credential: 'sk-proj-0123456789abcdef' }), /: models\[1\]\.deployments\[0\]\.credential_ref: must be a credential reference/],
    ['a file that does not exist', () => join(dir, 'missing.yaml'), /missing\.yaml: cannot be read \(ENOENT\)$/],
    ['a fallback to a model that exists nowhere', () => seedFile('fallback.yaml', { fallback: `it-seed-${run}-nowhere` }), /: models\[1\]\.fallbacks\[0\]: No model with id 'it-seed-.*-nowhere'\.$/],
  ])('refuses %s: exit code 78 and one line naming the file and the field, nothing written', async (_case, file, pattern) => {
    const path = file();
    const router = await startRouterProcess({ ROUTER_CATALOG_FILE: path });
    const code = await router.exited;
    const lines = router.stderr.trim().split('\n');
    expect({ code, lines: lines.length }).toEqual({ code: 78, lines: 1 });
    expect(lines[0].startsWith(`Invalid model catalog file ${path}: `)).toBe(true);
    expect(lines[0]).toMatch(pattern);
    expect(await entry(base)).toBeUndefined();
  });

  it('is applied once by replicas starting together, and not again while the file is unchanged', async () => {
    const file = seedFile('catalog.yaml');
    await Promise.all([startWith(file), startWith(file)]);
    const [first, second] = [await entry(base), await entry(premium)];
    expect(first).toMatchObject({ aliases: [`${base}-alias`], input_price_per_1k: '0.0005', deployments: [{ credential_ref: null }] });
    expect(second).toMatchObject({ tiers: ['pro', 'enterprise'], fallbacks: [base], deployments: [{ credential_ref: 'env:OPENAI_API_KEY' }] });
    // One creation each, although two replicas applied the file.
    const outbox = await queryDatabase<{ model_id: string; n: string }>(
      `SELECT model_id, count(*) AS n FROM router.model_catalog_outbox WHERE model_id = ANY($1) GROUP BY model_id ORDER BY model_id`,
      [[base, premium]],
    );
    expect(outbox).toEqual([
      { model_id: base, n: '1' },
      { model_id: premium, n: '1' },
    ]);

    // An admin disables a seeded model; the next replica starting with the same file leaves it so.
    await call('POST', `/v1/admin/models/${base}/disable`, { key: adminKey(), body: { message: 'incident' } });
    const disabled = await entry(base);
    await startWith(file);
    expect(await entry(base)).toEqual(disabled);
    expect(await entry(premium)).toEqual(second);

    // A changed entry in the file is applied: that entry only, with a new version.
    await startWith(seedFile('catalog.yaml', { premiumContext: 200_000 }));
    const changed = await entry(premium);
    expect(changed).toMatchObject({ context_window: 200_000 });
    expect(changed!.version).toBeGreaterThan(second!.version);
    expect(await entry(base)).toEqual(disabled);
  });
});
