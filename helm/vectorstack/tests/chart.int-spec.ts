/**
 * The chart as Kubernetes would receive it: `helm lint --strict`, `helm template`, and the
 * rendered manifests validated by kubeconform (strict) against the Kubernetes JSON schemas of
 * the oldest and newest supported versions; then what each component renders to, checked
 * against deploy/services.json and deploy/routes.json.
 *
 * Tools come from helm/tools/ensure-tools.sh (Go module proxy + a PyPI wheel for the schemas,
 * cached in .cache/): the first run compiles helm and kubeconform (~3.5 min on 2 cores).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const repoRoot = join(__dirname, '..', '..', '..');
const chartDir = join(repoRoot, 'helm', 'vectorstack');
const ciValues = join(chartDir, 'ci', 'test-values.yaml');
const RELEASE = 'vs';
const fullName = `${RELEASE}-vectorstack`;

interface ServiceEntry { name: string; port?: number; grpcPort?: number; worker?: boolean; entry: string; migrate?: string; nodeOptions?: string }
const readJson = (path: string) => JSON.parse(readFileSync(join(repoRoot, path), 'utf8'));
const services: ServiceEntry[] = readJson('deploy/services.json').services;
const routes: Array<{ prefix: string; service: string }> = readJson('deploy/routes.json').routes;
const httpServices = services.filter((s) => !s.worker);
const grpcServices = services.filter((s) => s.grpcPort);
/** As deploy/local/vs.mjs names it: training-worker -> TRAINING_WORKER. */
const envName = (name: string) => name.toUpperCase().replace(/-/g, '_');
const valuesKey = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; [k: string]: any };

let cacheDir = '';
let k8sVersions: string[] = [];
const tool = (name: string) => join(cacheDir, 'bin', name);
const tmp = mkdtempSync(join(tmpdir(), 'vs-chart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function valuesFile(values: object): string {
  const file = join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

function helm(args: string[]) {
  return spawnSync(tool('helm'), args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** `helm template` with the CI values plus overrides; returns the YAML text. */
function template(overrides: object = {}, extraArgs: string[] = []): string {
  const result = helm(['template', RELEASE, chartDir, '-f', ciValues, '-f', valuesFile(overrides), ...extraArgs]);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return result.stdout;
}

function manifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((doc) => doc.toJS())
    .filter(Boolean);
}

const find = (docs: Manifest[], kind: string, name: string) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);

/** Every component toggle on: the largest set of kinds the chart can render. */
const everythingOn = Object.fromEntries([
  ...services.map((s) => [
    valuesKey(s.name),
    { autoscaling: { enabled: true, targetMemoryUtilizationPercentage: 80 }, pdb: { enabled: true }, serviceMonitor: { enabled: true } },
  ]),
  ['ingress', { host: 'api.example.com', tls: [{ secretName: 'api-tls', hosts: ['api.example.com'] }] }],
  ['secrets', { adminKey: 'ci-admin-key' }],
  ['commonAnnotations', { 'example.com/owner': 'ai-platform' }],
]);

interface KubeconformResult { filename: string; kind: string; name: string; version: string; status: string; msg: string }

function kubeconform(yamlText: string, k8sVersion: string) {
  const result = spawnSync(
    tool('kubeconform'),
    [
      '-strict',
      '-output', 'json',
      '-verbose',
      '-kubernetes-version', k8sVersion,
      // Offline schemas (see ensure-tools.sh); no default (GitHub) location.
      '-schema-location', join(cacheDir, 'k8s-json-schema', '{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}', '{{.ResourceKind}}{{.KindSuffix}}.json'),
      // The only CRD the chart renders; no schema for it is available offline. Any other
      // kind without a schema is an error (no -ignore-missing-schemas).
      '-skip', 'ServiceMonitor',
      '-',
    ],
    { input: yamlText, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const resources: KubeconformResult[] = JSON.parse(result.stdout || '{"resources":[]}').resources ?? [];
  return { status: result.status, stderr: result.stderr, resources };
}

beforeAll(() => {
  const started = Date.now();
  cacheDir = execFileSync('bash', [join(repoRoot, 'helm/tools/ensure-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  }).trim();
  k8sVersions = readdirSync(join(cacheDir, 'k8s-json-schema'))
    .map((dir) => /^v(\d+\.\d+\.\d+)-local-strict$/.exec(dir)?.[1])
    .filter((v): v is string => Boolean(v));
  const seconds = (Date.now() - started) / 1000;
  if (seconds > 5) process.stderr.write(`ensure-tools.sh took ${seconds.toFixed(0)}s\n`);
}, 20 * 60_000);

describe('helm lint', () => {
  it('passes --strict with the CI values and with every toggle on', () => {
    for (const extra of [[], ['-f', valuesFile(everythingOn)]]) {
      const result = helm(['lint', '--strict', chartDir, '-f', ciValues, ...extra]);
      expect({ status: result.status, out: result.stdout + result.stderr }).toMatchObject({ status: 0 });
    }
  });

  it('refuses to render without the required connection values, naming them', () => {
    const missing = (values: object) => helm(['template', RELEASE, chartDir, '-f', valuesFile(values)]).stderr;
    expect(missing({})).toMatch(/kafka\.brokers is required/);
    expect(missing({ kafka: { brokers: 'k:9092' } })).toMatch(/postgresql\.url is required/);
    expect(missing({ kafka: { brokers: 'k:9092' }, postgresql: { url: 'postgres://u:p@h/db' }, redis: { url: 'redis://r:6379' } })).toMatch(
      /secrets\.keyHashSecret is required/,
    );
  });
});

describe('kubeconform', () => {
  it('has the schemas of at least two Kubernetes versions', () => {
    expect(k8sVersions.length).toBeGreaterThanOrEqual(2);
  });

  it('validates every rendered resource strictly, on each Kubernetes version', () => {
    for (const version of k8sVersions) {
      for (const values of [{}, everythingOn]) {
        const rendered = template(values, ['--kube-version', version]);
        const { status, stderr, resources } = kubeconform(rendered, version);
        const notValid = resources.filter((r) => r.status !== 'statusValid' && !(r.kind === 'ServiceMonitor' && r.status === 'statusSkipped'));
        expect({ version, status, stderr, notValid }).toEqual({ version, status: 0, stderr: '', notValid: [] });
        expect(resources.length).toBe(manifests(rendered).length);
      }
    }
  });

  it('really checks: a misspelt field or a wrong type is rejected', () => {
    const version = k8sVersions[0];
    const docs = manifests(template({}, ['--kube-version', version]));
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    const misspelt = structuredClone(deployment);
    misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
    const wrongType = structuredClone(deployment);
    wrongType.spec.replicas = 'two';
    for (const broken of [misspelt, wrongType]) {
      const { status, resources } = kubeconform(stringify(broken), version);
      expect(status).toBe(1);
      expect(resources.map((r) => r.status)).toEqual(['statusInvalid']);
    }
  });
});

describe('rendered chart', () => {
  let docs: Manifest[] = [];
  let all: Manifest[] = [];
  beforeAll(() => {
    docs = manifests(template());
    all = manifests(template(everythingOn));
  });

  it.each(services.map((s) => [s.name, s] as const))('%s: Deployment with its image, entry and probes', (name, entry) => {
    const deployment = find(docs, 'Deployment', `${fullName}-${name}`);
    expect(deployment).toBeDefined();
    const pod = deployment!.spec.template.spec;
    const [container] = pod.containers;
    expect(container.image).toBe(`docker.io/vectorstack/${name}:0.1.0`);
    const env = Object.fromEntries(container.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    expect(env.SERVICE_NAME).toBe(name);
    expect(env.NODE_OPTIONS).toBe(entry.nodeOptions);
    if (entry.worker) {
      expect(find(docs, 'Service', `${fullName}-${name}`)).toBeUndefined();
      expect(container.ports).toBeUndefined();
      expect(container.livenessProbe.exec.command).toEqual(['node', '/app/healthcheck.js']);
      expect(env.HEALTH_FILE).toMatch(/^\/tmp\//);
    } else {
      expect(env.PORT).toBe(String(entry.port));
      const grpc = entry.grpcPort ? [{ name: 'grpc', port: entry.grpcPort }] : [];
      expect(container.ports).toEqual(
        [{ name: 'http', port: entry.port }, ...grpc].map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
      );
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      const service = find(docs, 'Service', `${fullName}-${name}`);
      expect(service?.spec.ports).toEqual(
        [{ name: 'http', port: entry.port }, ...grpc].map((p) => ({ ...p, targetPort: p.name, protocol: 'TCP' })),
      );
      expect(service?.spec.selector).toEqual(deployment!.spec.selector.matchLabels);
    }
    expect(env.GRPC_PORT).toBe(entry.grpcPort ? String(entry.grpcPort) : undefined);
  });

  it('points <NAME>_GRPC_URL (shared ConfigMap) at the gRPC port of each Service, as services.json says', () => {
    // The two the services read: AUTH_GRPC_URL (key guard's Verify), RATELIMIT_GRPC_URL (router's Check).
    expect(grpcServices.map((s) => `${envName(s.name)}_GRPC_URL`)).toEqual(
      expect.arrayContaining(['AUTH_GRPC_URL', 'RATELIMIT_GRPC_URL']),
    );
    const grpcUrls = (list: Manifest[]) =>
      Object.fromEntries(
        Object.entries(find(list, 'ConfigMap', `${fullName}-config`)!.data as Record<string, string>).filter(([key]) =>
          key.endsWith('_GRPC_URL'),
        ),
      );
    const expected = Object.fromEntries(grpcServices.map((s) => [`${envName(s.name)}_GRPC_URL`, `${fullName}-${s.name}:${s.grpcPort}`]));
    expect(grpcUrls(docs)).toEqual(expected);
    expect(find(docs, 'ConfigMap', `${fullName}-config`)!.data.GRPC_HOST).toBe('0.0.0.0');
    // Each URL names a rendered Service with a `grpc` port of that number.
    for (const s of grpcServices) {
      const service = find(docs, 'Service', `${fullName}-${s.name}`)!;
      expect(service.spec.ports).toContainEqual(expect.objectContaining({ name: 'grpc', port: s.grpcPort }));
    }
    // Hook Jobs get the shared environment too (no ConfigMap yet): the same values.
    const topicsEnv = find(docs, 'Job', `${fullName}-kafka-topics`)!.spec.template.spec.containers[0].env;
    expect(topicsEnv).toEqual(expect.arrayContaining(Object.entries(expected).map(([name, value]) => ({ name, value }))));

    // A disabled component's URL is not generated (its Service does not exist); config.extraEnv
    // supplies it (run elsewhere), and wins over a generated one.
    const external = manifests(
      template({ auth: { enabled: false }, config: { extraEnv: { AUTH_GRPC_URL: 'auth.identity:50051', RATELIMIT_GRPC_URL: 'rl:7000' } } }),
    );
    expect(grpcUrls(external)).toEqual({ AUTH_GRPC_URL: 'auth.identity:50051', RATELIMIT_GRPC_URL: 'rl:7000' });
    expect(grpcUrls(manifests(template({ auth: { enabled: false } })))).toEqual({
      RATELIMIT_GRPC_URL: expected.RATELIMIT_GRPC_URL,
    });
  });

  it('runs every pod non-root with a read-only root filesystem and a writable /tmp', () => {
    const pods = docs
      .filter((d) => d.kind === 'Deployment' || d.kind === 'Job')
      .map((d) => [d.metadata.name, d.spec.template.spec] as const)
      .concat(docs.filter((d) => d.kind === 'Pod').map((d) => [d.metadata.name, d.spec] as const));
    expect(pods.length).toBe(services.length + services.filter((s) => s.migrate).length + 1 + 1);
    for (const [name, pod] of pods) {
      expect({ name, ...pod.securityContext }).toMatchObject({ name, runAsNonRoot: true, runAsUser: 10001 });
      for (const container of pod.containers) {
        expect({ name, ...container.securityContext }).toMatchObject({
          name,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        if (pod.volumes) {
          expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
          expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }));
        }
      }
    }
  });

  it('takes secrets only from a Secret, and supports an existing one', () => {
    const secretRefs = (manifestList: Manifest[]) =>
      manifestList
        .filter((d) => d.kind === 'Deployment' || d.kind === 'Job')
        .flatMap((d) => d.spec.template.spec.containers.flatMap((c: any) => c.env))
        .filter((e: any) => ['DATABASE_URL', 'REDIS_URL', 'KEY_HASH_SECRET', 'VECTORSTACK_ADMIN_KEY'].includes(e.name));
    for (const ref of secretRefs(docs)) {
      expect(ref.value).toBeUndefined();
      expect(ref.valueFrom.secretKeyRef.name).toMatch(new RegExp(`^${fullName}-(hook-)?secrets$`));
    }
    const secret = find(docs, 'Secret', `${fullName}-secrets`)!;
    expect(Buffer.from(secret.data.KEY_HASH_SECRET, 'base64').toString()).toBe('ci-key-hash-secret');
    const configMap = find(docs, 'ConfigMap', `${fullName}-config`)!;
    expect(JSON.stringify(configMap.data)).not.toMatch(/ci-password|ci-key-hash-secret/);

    const existing = manifests(template({ secrets: { existingSecret: 'platform-secrets' } }));
    expect(existing.filter((d) => d.kind === 'Secret')).toEqual([]);
    const refs = secretRefs(existing);
    expect(refs.length).toBeGreaterThan(0);
    expect(new Set(refs.map((r: any) => r.valueFrom.secretKeyRef.name))).toEqual(new Set(['platform-secrets']));
  });

  it('has an Ingress whose paths are exactly deploy/routes.json', () => {
    const ingress = find(docs, 'Ingress', fullName)!;
    expect(ingress.spec.ingressClassName).toBe('nginx');
    const paths = ingress.spec.rules[0].http.paths;
    const portOf = (name: string) => httpServices.find((s) => s.name === name)?.port;
    expect(paths).toEqual(
      routes.map((r) => ({
        path: r.prefix,
        pathType: 'Prefix',
        backend: { service: { name: `${fullName}-${r.service}`, port: { number: portOf(r.service) } } },
      })),
    );
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-body-size': '5g',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': expect.stringMatching(/^\d+$/),
    });
    const custom = find(manifests(template({ ingress: { className: 'traefik' } })), 'Ingress', fullName)!;
    expect(custom.spec.ingressClassName).toBe('traefik');
  });

  it('migrates each service with migrations from its own image, as pre-install/pre-upgrade hooks', () => {
    const jobs = docs.filter((d) => d.kind === 'Job' && d.metadata.name.includes('-migrate-'));
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(
      services.filter((s) => s.migrate).map((s) => `${fullName}-migrate-${s.name}`).sort(),
    );
    for (const entry of services.filter((s) => s.migrate)) {
      const job = find(docs, 'Job', `${fullName}-migrate-${entry.name}`)!;
      expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      const [container] = job.spec.template.spec.containers;
      expect(container.command).toEqual(['node', entry.migrate]);
      expect(container.image).toBe(`docker.io/vectorstack/${entry.name}:0.1.0`);
      // Hooks run before the release's Secret exists: they read the hook-scoped copy, which
      // is created earlier (lower weight).
      const secretRef = container.env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.name;
      const hookSecret = find(docs, 'Secret', secretRef)!;
      expect(Number(hookSecret.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(
        Number(job.metadata.annotations!['helm.sh/hook-weight']),
      );
    }
  });

  it('creates the Kafka topics in a hook Job before the migrations', () => {
    const job = find(docs, 'Job', `${fullName}-kafka-topics`)!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'libs/kafka/dist/cli/ensure-topics.js']);
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    expect(env.KAFKA_BROKERS).toBe('kafka-0.kafka:9092,kafka-1.kafka:9092');
  });

  it('renders HPA, PDB and ServiceMonitor per component only when toggled', () => {
    const count = (list: Manifest[], kind: string) => list.filter((d) => d.kind === kind).length;
    expect(count(docs, 'HorizontalPodAutoscaler')).toBe(0);
    expect(count(docs, 'ServiceMonitor')).toBe(0);
    expect(count(all, 'HorizontalPodAutoscaler')).toBe(services.length);
    expect(count(all, 'PodDisruptionBudget')).toBe(services.length);
    // No HTTP server, no /metrics to scrape: the worker never gets a ServiceMonitor.
    expect(count(all, 'ServiceMonitor')).toBe(httpServices.length);
    const router = find(all, 'Deployment', `${fullName}-router`)!;
    expect(router.spec.replicas).toBeUndefined();
    const monitor = find(all, 'ServiceMonitor', `${fullName}-router`)!;
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(monitor.spec.selector.matchLabels).toEqual(router.spec.selector.matchLabels);
  });

  it('ships a helm test Pod that checks /readyz of every HTTP service', () => {
    const pod = docs.find((d) => d.kind === 'Pod' && d.metadata.annotations?.['helm.sh/hook'] === 'test')!;
    expect(pod).toBeDefined();
    const args: string[] = pod.spec.containers[0].args;
    expect(args.filter((a) => a.startsWith('http://')).sort()).toEqual(
      httpServices.map((s) => `http://${fullName}-${s.name}:${s.port}/readyz`).sort(),
    );
    expect(args).toContain('--fail');
  });
});
