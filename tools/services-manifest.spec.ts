import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_SERVICE } from '../services/auth/src/service.definition';
import { DATA_SERVICE } from '../services/data/src/service.definition';
import { INFERENCE_SERVICE } from '../services/inference/src/service.definition';
import { METERING_SERVICE } from '../services/metering/src/service.definition';
import { RATELIMIT_SERVICE } from '../services/ratelimit/src/service.definition';
import { ROUTER_SERVICE } from '../services/router/src/service.definition';
import { TRAINING_SERVICE } from '../services/training/src/service.definition';
import { TRAINING_WORKER } from '../services/training/src/worker.definition';

interface ManifestEntry {
  name: string;
  port?: number;
  grpcPort?: number;
  worker?: boolean;
  migrate?: string;
  uses: string[];
}

const manifest: ManifestEntry[] = JSON.parse(readFileSync(join(__dirname, '../deploy/services.json'), 'utf8')).services;
const routes: Array<{ prefix: string; service: string }> = JSON.parse(readFileSync(join(__dirname, '../deploy/routes.json'), 'utf8')).routes;
const definitions = [AUTH_SERVICE, RATELIMIT_SERVICE, ROUTER_SERVICE, DATA_SERVICE, TRAINING_SERVICE, TRAINING_WORKER, INFERENCE_SERVICE, METERING_SERVICE];

describe('deploy/services.json agrees with the service definitions', () => {
  it.each(definitions.map((d) => [d.name, d] as const))('%s: same dependencies and a migrate entry exactly when it has a schema', (name, definition) => {
    const entry = manifest.find((e) => e.name === name);
    expect(entry).toBeDefined();
    const uses = [definition.postgres && 'postgres', definition.redis && 'redis', definition.kafka && 'kafka'].filter(Boolean);
    expect([...(entry as ManifestEntry).uses].sort()).toEqual(uses.sort());
    if (!entry?.worker) expect(Boolean(entry?.migrate)).toBe(Boolean(definition.postgres));
    expect(Boolean(entry?.grpcPort)).toBe(Boolean(definition.grpc));
  });

  it('lists every process once, with distinct ports', () => {
    expect(manifest.map((e) => e.name).sort()).toEqual(definitions.map((d) => d.name).sort());
    const ports = manifest.flatMap((e) => [e.port, e.grpcPort]).filter((port) => port !== undefined);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('routes every public prefix to an HTTP service, each prefix once', () => {
    const httpServices = new Set(manifest.filter((e) => !e.worker).map((e) => e.name));
    for (const route of routes) expect(httpServices.has(route.service)).toBe(true);
    expect(new Set(routes.map((r) => r.prefix)).size).toBe(routes.length);
  });
});
