/**
 * values.yaml against the platform's own tables and the chart's schema — no Helm needed:
 * ingress paths = deploy/routes.json, component ports (HTTP and gRPC) and migrations =
 * deploy/services.json,
 * values.yaml valid against values.schema.json, every key documented with `## @param`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse, parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';

const repoRoot = join(__dirname, '..', '..', '..');
const chartDir = join(repoRoot, 'helm', 'vectorstack');
const read = (path: string) => readFileSync(path, 'utf8');

const services: Array<{ name: string; port?: number; grpcPort?: number; worker?: boolean; migrate?: string }> = JSON.parse(
  read(join(repoRoot, 'deploy/services.json')),
).services;
const routes: Array<{ prefix: string; service: string }> = JSON.parse(read(join(repoRoot, 'deploy/routes.json'))).routes;

const valuesSource = read(join(chartDir, 'values.yaml'));
// Helm's YAML parser resolves merge keys (`<<: *component`); so must this one.
const values = parse(valuesSource, { merge: true });

/** values.yaml block of a services.json process: training-worker -> trainingWorker. */
const valuesKey = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

describe('helm/vectorstack/values.yaml', () => {
  it('ingress paths are exactly deploy/routes.json (prefix -> service), in order', () => {
    expect(values.ingress.paths).toEqual(routes.map((r) => ({ path: r.prefix, service: r.service })));
  });

  it.each(services.map((s) => [s.name, s] as const))('%s has a block whose ports match services.json', (name, entry) => {
    const block = values[valuesKey(name)];
    expect(block).toBeDefined();
    expect(block.enabled).toBe(true);
    expect(block.port).toBe(entry.worker ? null : entry.port);
    // Blocks merge auth's (`<<: *component`): one without gRPC must say `grpcPort: null`.
    expect(block.grpcPort).toBe(entry.grpcPort ?? null);
  });

  it('runs migrations for exactly the services with a "migrate" entry', () => {
    expect(values.migrations.services).toEqual(services.filter((s) => s.migrate).map((s) => s.name));
  });

  it('has no component block that is not a process of services.json', () => {
    const componentKeys = Object.keys(values).filter((key) => values[key]?.autoscaling !== undefined);
    expect(componentKeys.sort()).toEqual(services.map((s) => valuesKey(s.name)).sort());
  });

  it('is valid against values.schema.json, and the schema rejects typos', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const validate = ajv.compile(JSON.parse(read(join(chartDir, 'values.schema.json'))));
    expect(validate(values) ? [] : validate.errors).toEqual([]);

    const typo = structuredClone(values);
    typo.router.autoscaling.maxReplica = 3;
    expect(validate(typo)).toBe(false);
    const badRoute = structuredClone(values);
    badRoute.ingress.paths.push({ path: '/v1/x', service: 'nope' });
    expect(validate(badRoute)).toBe(false);
    const badGrpcPort = structuredClone(values);
    badGrpcPort.auth.grpcPort = '50051';
    expect(validate(badGrpcPort)).toBe(false);
  });

  it('documents every setting with `## @param` (on the key or an enclosing block)', () => {
    const documented = new Set(
      [...valuesSource.matchAll(/^\s*## @param (\S+)/gm)].map(([, path]) => path),
    );
    // Keys of free-form maps (resources, annotations, security contexts) are data, not settings.
    const freeForm = /(^|\.)(resources|annotations|podSecurityContext|containerSecurityContext|requests|limits|livenessProbe|readinessProbe|startupProbe|labels|extraEnv)$/;
    const undocumented: string[] = [];
    const walk = (node: Node | null | undefined, path: string) => {
      if (!isMap(node)) return;
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (key === '<<') continue;
        const full = path ? `${path}.${key}` : key;
        const prefixes = full.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'));
        // Settings are the leaves (and free-form maps); a block is documented through its keys.
        const isSetting = !isMap(pair.value) || freeForm.test(full);
        if (isSetting && !prefixes.some((p) => documented.has(p))) undocumented.push(full);
        if (!isSetting) walk(pair.value as Node, full);
      }
    };
    walk(parseDocument(valuesSource).contents as Node, '');
    expect(undocumented).toEqual([]);
    // And no @param documents a key that does not exist.
    const get = (path: string) => path.split('.').reduce<any>((obj, key) => obj?.[key], values);
    expect([...documented].filter((path) => get(path) === undefined)).toEqual([]);
  });
});

describe('helm/vectorstack/Chart.yaml', () => {
  it('is a v2 application chart with a kubeVersion floor', () => {
    const chart = parse(read(join(chartDir, 'Chart.yaml')));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'vectorstack', type: 'application' });
    expect(chart.kubeVersion).toMatch(/^>=1\.\d+/);
    expect(chart.dependencies ?? []).toEqual([]);
  });
});
