/**
 * Checks the Docker packaging without a Docker engine:
 * - docker-compose.yml is valid against the official Compose Specification schema (vendored in
 *   deploy/docker/schema/, see its README), both as written and after interpolation with
 *   .env.example;
 * - it runs every process of deploy/services.json with the right image, entry, ports (HTTP and
 *   gRPC), healthcheck, migrations and start-up ordering, and points every container's
 *   <NAME>_GRPC_URL at the gRPC port of that service;
 * - deploy/docker/nginx.conf routes exactly deploy/routes.json;
 * - the Dockerfile is multi-stage and non-root, and its helper scripts behave.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readlinkSync, existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const repoRoot = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

interface ServiceEntry {
  name: string;
  port?: number;
  grpcPort?: number;
  worker?: boolean;
  entry: string;
  migrate?: string;
  uses: string[];
  nodeOptions?: string;
}
interface Route {
  prefix: string;
  service: string;
}
const services: ServiceEntry[] = JSON.parse(read('deploy/services.json')).services;
const routes: Route[] = JSON.parse(read('deploy/routes.json')).routes;
const httpServices = services.filter((s) => !s.worker);
const grpcServices = services.filter((s) => s.grpcPort);
/** As deploy/local/vs.mjs names it: training-worker -> TRAINING_WORKER. */
const envName = (name: string) => name.toUpperCase().replace(/-/g, '_');

// Compose resolves YAML merge keys (`<<: *anchor`), a YAML 1.1 feature: enable it explicitly.
const composeSource = read('docker-compose.yml');
const composeRaw = parse(composeSource, { merge: true });

// ---------------------------------------------------------------------------------------------
// Compose interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $$),
// enough to render the file the way `docker compose` would with a given .env.
function parseDotEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2].trim();
  }
  return env;
}

function interpolate(value: unknown, env: Record<string, string>, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
      (whole, name: string, colon: string, op: string, arg: string) => {
        if (whole === '$$') return '$';
        const set = name in env && (colon !== ':' || env[name] !== '');
        if (set) return env[name];
        if (op === '?') {
          missing.push(`${name}: ${arg}`);
          return '';
        }
        return op === '-' ? arg : '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, missing)]),
    );
  }
  return value;
}

const dotEnvExample = parseDotEnv(read('.env.example'));
const missingRequired: string[] = [];
const compose = interpolate(composeRaw, dotEnvExample, missingRequired) as {
  services: Record<string, any>;
  volumes: Record<string, unknown>;
};

// ---------------------------------------------------------------------------------------------
function composeValidator() {
  const schema = JSON.parse(read('deploy/docker/schema/compose-spec.json'));
  // strict:false — the vendored schema is used as published; Ajv's strict mode lints schema
  // style (e.g. unknown "deprecated"-style annotations), which is not what this test checks.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  // Go time.ParseDuration syntax, the one custom format compose-go registers.
  ajv.addFormat('duration', /^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  return ajv.compile(schema);
}

describe('docker-compose.yml', () => {
  const validate = composeValidator();
  const errorsOf = (doc: unknown) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

  it('is valid against the Compose Specification schema as written', () => {
    expect(errorsOf(composeRaw)).toEqual([]);
  });

  it('is valid after interpolation with .env.example, which sets every required variable', () => {
    expect(missingRequired).toEqual([]);
    expect(errorsOf(compose)).toEqual([]);
  });

  it('the schema check rejects what Compose would reject', () => {
    const broken = structuredClone(composeRaw);
    broken.services.auth.depends_on.postgres.condition = 'service_started_eventually';
    broken.services.auth.helthcheck = broken.services.auth.healthcheck;
    const errors = errorsOf(broken);
    expect(errors.some((e) => e.startsWith('/services/auth/depends_on/postgres/condition'))).toBe(true);
    expect(errors).toContainEqual(expect.stringMatching(/^\/services\/auth .*"helthcheck"/));
  });

  it('uses the official infrastructure images and publishes only nginx, on 8080', () => {
    expect(compose.services.postgres.image).toBe('postgres:16');
    expect(compose.services.redis.image).toBe('redis:7');
    expect(compose.services.kafka.image).toBe('apache/kafka:3.9.2');
    expect(compose.services.nginx.image).toBe('nginx:1.27');
    const published = Object.entries(compose.services).filter(([, svc]) => svc.ports);
    expect(published.map(([name, svc]) => [name, svc.ports])).toEqual([['nginx', ['8080:80']]]);
    expect(compose.services.nginx.volumes).toContain(
      './deploy/docker/nginx.conf:/etc/nginx/conf.d/default.conf:ro',
    );
  });

  it('runs Kafka as a single KRaft node without topic auto-creation', () => {
    const env = compose.services.kafka.environment;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it.each(services.map((s) => [s.name, s] as const))('runs %s from the Dockerfile', (name, entry) => {
    const svc = compose.services[name];
    expect(svc).toBeDefined();
    // services/<folder>/dist/<file>: the image is built for <folder>, running <file>.
    const [, folder, file] = /^services\/([^/]+)\/dist\/(.+)$/.exec(entry.entry) ?? [];
    expect(svc.build.dockerfile).toBe('deploy/docker/Dockerfile');
    expect(svc.build.context).toBe('.');
    expect(svc.build.args.SERVICE).toBe(folder);
    expect(svc.build.args.ENTRY ?? 'main.js').toBe(file);
    expect(svc.image).toBe(`vectorstack/${name}:dev`);
    expect(svc.environment.SERVICE_NAME).toBe(name);
    expect(svc.environment.NODE_OPTIONS).toBe(entry.nodeOptions);
    expect(svc.environment.NODE_ENV).toBe('production');
    expect(svc.healthcheck.test).toEqual(['CMD', 'node', '/app/healthcheck.js']);
    if (entry.worker) {
      expect(svc.environment.HEALTH_FILE).toMatch(/^\/tmp\//);
      expect(svc.environment.PORT).toBeUndefined();
    } else {
      expect(svc.environment.PORT).toBe(entry.port);
      expect(svc.expose).toEqual([entry.port, entry.grpcPort].filter(Boolean).map(String));
    }
    // GRPC_PORT only where the service serves gRPC; the shared GRPC_HOST listens on all interfaces.
    expect(svc.environment.GRPC_PORT).toBe(entry.grpcPort);
    expect(svc.environment.GRPC_HOST).toBe('0.0.0.0');
  });

  it('points <NAME>_GRPC_URL of every container at the gRPC port of services.json', () => {
    // The two the services read: AUTH_GRPC_URL (key guard's Verify), RATELIMIT_GRPC_URL (router's Check).
    expect(grpcServices.map((s) => `${envName(s.name)}_GRPC_URL`)).toEqual(
      expect.arrayContaining(['AUTH_GRPC_URL', 'RATELIMIT_GRPC_URL']),
    );
    const expected = Object.fromEntries(grpcServices.map((s) => [`${envName(s.name)}_GRPC_URL`, `${s.name}:${s.grpcPort}`]));
    const containers = Object.entries(compose.services).filter(([name]) =>
      name === 'kafka-init' || name.startsWith('migrate-') || services.some((s) => s.name === name),
    );
    expect(containers.length).toBe(services.length + services.filter((s) => s.migrate).length + 1);
    for (const [name, svc] of containers) {
      const grpcUrls = Object.fromEntries(Object.entries(svc.environment).filter(([key]) => key.endsWith('_GRPC_URL')));
      expect({ name, grpcUrls }).toEqual({ name, grpcUrls: expected });
    }
    // Each target is a compose service that exposes that port to the network.
    for (const s of grpcServices) expect(compose.services[s.name].expose).toContain(String(s.grpcPort));
  });

  it('starts the router after auth and ratelimit are healthy (Verify and Check on its hot path)', () => {
    const dependsOn = compose.services.router.depends_on;
    for (const target of grpcServices) {
      expect(dependsOn[target.name]).toEqual({ condition: 'service_healthy' });
    }
    // Compose refuses a dependency cycle, which the schema cannot see: none in the graph.
    const cycles: string[] = [];
    const visit = (name: string, path: string[]) => {
      if (path.includes(name)) return void cycles.push([...path, name].join(' -> '));
      for (const next of Object.keys(compose.services[name]?.depends_on ?? {})) visit(next, [...path, name]);
    };
    for (const name of Object.keys(compose.services)) visit(name, []);
    expect(cycles).toEqual([]);
  });

  it.each(services.map((s) => [s.name, s] as const))(
    '%s starts after the stores it uses are healthy and topics exist',
    (name, entry) => {
      const dependsOn = compose.services[name].depends_on;
      for (const store of entry.uses) {
        expect(dependsOn[store]).toEqual({ condition: 'service_healthy' });
      }
      expect(dependsOn['kafka-init']).toEqual({ condition: 'service_completed_successfully' });
      const env = compose.services[name].environment;
      if (entry.uses.includes('postgres')) expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      if (entry.uses.includes('redis')) expect(env.REDIS_URL).toBe('redis://redis:6379');
      if (entry.uses.includes('kafka')) expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      expect(env.KEY_HASH_SECRET).toBe(dotEnvExample.KEY_HASH_SECRET);
    },
  );

  it('runs the migrations of each service that has them, from its image, before it starts', () => {
    const migrateJobs = Object.keys(compose.services).filter((name) => name.startsWith('migrate-'));
    const withMigrations = services.filter((s) => s.migrate);
    expect(migrateJobs.sort()).toEqual(withMigrations.map((s) => `migrate-${s.name}`).sort());
    for (const entry of withMigrations) {
      const job = compose.services[`migrate-${entry.name}`];
      expect(job.image).toBe(compose.services[entry.name].image);
      expect(job.command).toEqual(['node', entry.migrate]);
      expect(job.restart).toBe('no');
      expect(job.depends_on.postgres).toEqual({ condition: 'service_healthy' });
      expect(compose.services[entry.name].depends_on[`migrate-${entry.name}`]).toEqual({
        condition: 'service_completed_successfully',
      });
    }
    // The worker shares the training schema: it waits for the training migrations too.
    for (const worker of services.filter((s) => s.worker)) {
      const folder = worker.entry.split('/')[1];
      if (services.find((s) => s.name === folder)?.migrate) {
        expect(compose.services[worker.name].depends_on[`migrate-${folder}`]).toBeDefined();
      }
    }
  });

  it('creates the Kafka topics once, with the ensure-topics CLI from the auth image', () => {
    const init = compose.services['kafka-init'];
    expect(init.image).toBe(compose.services.auth.image);
    expect(init.command).toEqual(['node', 'libs/kafka/dist/cli/ensure-topics.js']);
    expect(init.depends_on.kafka).toEqual({ condition: 'service_healthy' });
  });

  it('puts nginx in front only once every routed service is healthy', () => {
    const routed = [...new Set(routes.map((r) => r.service))].sort();
    expect(Object.keys(compose.services.nginx.depends_on).sort()).toEqual(routed);
    for (const name of routed) {
      expect(compose.services.nginx.depends_on[name]).toEqual({ condition: 'service_healthy' });
    }
  });

  it('commits no secrets: secret values come from .env interpolation only', () => {
    for (const key of ['KEY_HASH_SECRET', 'POSTGRES_PASSWORD']) {
      expect(composeSource).toMatch(new RegExp(`\\$\\{${key}:\\?`));
    }
    expect(composeRaw.services.auth.environment.VECTORSTACK_ADMIN_KEY).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
describe('deploy/docker/nginx.conf', () => {
  const conf = read('deploy/docker/nginx.conf').replace(/#.*$/gm, '');
  const locations = [...conf.matchAll(/location\s+(=\s+)?(\S+)\s*\{\s*proxy_pass\s+http:\/\/([a-z-]+);\s*\}/g)].map(
    ([, exact, path, upstream]) => ({ exact: Boolean(exact), path, upstream }),
  );

  it.each(routes.map((r) => [r.prefix, r.service]))('routes %s (and below it) to %s', (prefix, service) => {
    expect(locations).toContainEqual({ exact: true, path: prefix, upstream: service });
    expect(locations).toContainEqual({ exact: false, path: `${prefix}/`, upstream: service });
  });

  it('has no proxied location that is not in routes.json', () => {
    const expected = routes.flatMap((r) => [`=${r.prefix}`, `${r.prefix}/`]).sort();
    expect(locations.map((l) => (l.exact ? `=${l.path}` : l.path)).sort()).toEqual(expected);
  });

  it('points each upstream at the service port from services.json', () => {
    for (const svc of httpServices.filter((s) => routes.some((r) => r.service === s.name))) {
      const upstream = new RegExp(`upstream\\s+${svc.name}\\s*\\{[^}]*server\\s+${svc.name}:(\\d+)\\b`).exec(conf);
      expect(upstream?.[1]).toBe(String(svc.port));
    }
  });

  it('answers unknown paths with a 404 in the OpenAI error shape', () => {
    const [, block, status, body] =
      /location\s+\/\s*\{([^}']*)return\s+(\d+)\s+'([^']*)';\s*\}/.exec(conf) ?? [];
    expect(block).toMatch(/default_type\s+application\/json;/);
    expect(status).toBe('404');
    expect(JSON.parse(body)).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'not_found' },
    });
  });

  it('streams (no buffering), accepts 5 GB bodies and forwards the client address', () => {
    expect(conf).toMatch(/^\s*proxy_buffering\s+off;/m);
    expect(conf).toMatch(/^\s*proxy_request_buffering\s+off;/m);
    expect(conf).toMatch(/^\s*client_max_body_size\s+5g;/m);
    expect(conf).toMatch(/^\s*proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/m);
  });
});

// ---------------------------------------------------------------------------------------------
describe('deploy/docker/Dockerfile', () => {
  const dockerfile = read('deploy/docker/Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
  const stages = dockerfile.reduce<string[][]>((acc, line) => {
    if (/^FROM\s/i.test(line)) acc.push([]);
    acc.at(-1)?.push(line.trim());
    return acc;
  }, []);
  const finalStage = stages.at(-1) ?? [];

  it('is multi-stage: build, prod-deps and runtime on node:20-bookworm-slim', () => {
    const froms = stages.map((stage) => stage[0]);
    expect(froms.length).toBeGreaterThanOrEqual(3);
    for (const name of ['build', 'prod-deps', 'runtime']) {
      expect(froms).toContainEqual(expect.stringMatching(new RegExp(`^FROM \\S+ AS ${name}$`, 'i')));
    }
    expect(read('deploy/docker/Dockerfile')).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(stages.find((s) => / AS build$/.test(s[0]))?.join('\n')).toMatch(/npm ci\b/);
    expect(stages.find((s) => / AS prod-deps$/.test(s[0]))?.join('\n')).toMatch(/npm ci .*--omit=dev/);
  });

  it('runs the final image as the non-root uid 10001 under an init, with a healthcheck', () => {
    const users = finalStage.filter((line) => /^USER\s/.test(line));
    expect(users).toEqual(['USER 10001:10001']);
    expect(finalStage).toContainEqual(expect.stringMatching(/^ENV NODE_ENV=production/));
    expect(finalStage).toContainEqual(expect.stringMatching(/^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck.js"\]$/));
    expect(finalStage).toContainEqual('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(finalStage.join('\n')).toMatch(/apt-get install .*\btini\b/);
  });

  it('is parametrised by SERVICE and ENTRY and copies only the assembled /app', () => {
    expect(finalStage).toContain('ARG SERVICE');
    expect(finalStage).toContain('ARG ENTRY=main.js');
    const copies = finalStage.filter((line) => /^COPY\s/.test(line));
    expect(copies).toEqual(['COPY --from=assemble /app /app']);
  });

  it('has a .dockerignore that keeps host installs, builds and secrets out of the context', () => {
    const ignore = read('.dockerignore');
    for (const pattern of ['**/node_modules', '**/dist', '**/.env', '**/*.int-spec.ts']) {
      expect(ignore.split('\n')).toContain(pattern);
    }
    expect(ignore.split('\n')[ignore.split('\n').findIndex((l) => l && !l.startsWith('#'))]).toBe('*');
  });
});

// ---------------------------------------------------------------------------------------------
describe('deploy/docker/assemble.sh', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

  function fakeBuild() {
    const root = mkdtempSync(join(tmpdir(), 'vs-assemble-'));
    roots.push(root);
    const build = join(root, 'build');
    const app = join(root, 'app');
    for (const dir of ['libs/kafka/dist', 'services/training/dist', 'services/auth/dist']) {
      mkdirSync(join(build, dir), { recursive: true });
    }
    writeFileSync(join(build, 'libs/kafka/dist/index.js'), '');
    writeFileSync(join(build, 'services/training/dist/main.js'), '');
    writeFileSync(join(build, 'services/training/dist/worker.js'), '');
    for (const dir of ['libs/kafka', 'services/training', 'services/auth', 'node_modules']) {
      mkdirSync(join(app, dir), { recursive: true });
      writeFileSync(join(app, dir, 'package.json'), '{}');
    }
    return { build, app };
  }
  const assemble = (...args: string[]) =>
    execFileSync('sh', [join(repoRoot, 'deploy/docker/assemble.sh'), ...args], { stdio: 'pipe' });

  it('lays out one service with its entry and drops the others', () => {
    const { build, app } = fakeBuild();
    assemble(build, app, 'training', 'worker.js');
    expect(readlinkSync(join(app, 'entry.js'))).toBe('services/training/dist/worker.js');
    expect(existsSync(join(app, 'libs/kafka/dist/index.js'))).toBe(true);
    expect(existsSync(join(app, 'services/auth'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/package.json'))).toBe(true);
  });

  it('fails the build for an unknown service or a missing entry', () => {
    const { build, app } = fakeBuild();
    expect(() => assemble(build, app, 'nope', 'main.js')).toThrow(/unknown SERVICE 'nope'/);
    expect(() => assemble(build, app, 'training', 'migrate.js')).toThrow(/dist\/migrate.js does not exist/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('deploy/docker/healthcheck.js', () => {
  const run = (env: Record<string, string>) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'deploy/docker/healthcheck.js')], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: 'ignore',
      });
      child.on('exit', resolve);
    });

  async function withServer(status: number, fn: (port: number) => Promise<void>) {
    const paths: string[] = [];
    const server: Server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await fn((server.address() as AddressInfo).port);
    } finally {
      server.close();
    }
    return paths;
  }

  it('HTTP services: healthy only when /readyz answers 2xx', async () => {
    const paths = await withServer(200, async (port) => {
      expect(await run({ PORT: String(port) })).toBe(0);
    });
    expect(paths).toEqual(['/readyz']);
    await withServer(503, async (port) => {
      expect(await run({ PORT: String(port) })).toBe(1);
    });
    expect(await run({})).toBe(1);
  });

  it('worker: healthy only while the health file is fresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-health-'));
    const file = join(dir, 'health');
    try {
      expect(await run({ HEALTH_FILE: file })).toBe(1);
      writeFileSync(file, '');
      expect(await run({ HEALTH_FILE: file })).toBe(0);
      const stale = new Date(Date.now() - 120_000);
      utimesSync(file, stale, stale);
      expect(await run({ HEALTH_FILE: file })).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
