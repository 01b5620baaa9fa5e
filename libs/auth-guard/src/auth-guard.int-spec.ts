/**
 * Two replicas of a service, each with its own key cache following the same
 * (per-run) compacted key-state topic on the real broker: a key works on both,
 * and a revocation published once is refused by both within a second.
 */
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeyStatus, Topics } from '@vectorstack/contracts';
import { createFastifyAdapter, HttpPlatformModule, installFastifyHooks } from '@vectorstack/http';
import { ensureTopics, KafkaConnection, KafkaModule, KafkaProducer, newTestRunId, testTopic } from '@vectorstack/kafka';
import { testInfra } from '@vectorstack/testing';
import { ApiKeyGuard, CurrentPrincipal, RequireScopes } from './api-key.guard';
import { AuthGuardModule } from './auth-guard.module';
import { generateApiKey } from './key-material';
import type { AuthenticatedPrincipal } from './principal';
import { keyState } from './testing/key-states';

const HMAC = 'k'.repeat(64);
const topic = testTopic(Topics.apiKeyState, newTestRunId());

@Controller('v1/things')
@UseGuards(ApiKeyGuard)
class ThingsController {
  @Get()
  @RequireScopes('chat')
  list(@CurrentPrincipal() principal: AuthenticatedPrincipal) {
    return { keyId: principal.keyId, tenantId: principal.tenantId };
  }

  @Get('admin')
  @RequireScopes('admin')
  admin() {
    return { ok: true };
  }
}

async function startReplica(name: string): Promise<{ app: NestFastifyApplication; url: string }> {
  @Module({
    imports: [
      HttpPlatformModule.forRoot({ serviceName: name, logLevel: 'silent' }),
      KafkaModule.forRoot({ clientId: name, brokers: testInfra.kafkaBrokers() }),
      AuthGuardModule.forRoot({ serviceName: name, hmacSecret: HMAC, topic }),
    ],
    controllers: [ThingsController],
  })
  class ReplicaModule {}
  const app = await NestFactory.create<NestFastifyApplication>(
    ReplicaModule,
    createFastifyAdapter({ TRUSTED_PROXIES: [], HTTP_BODY_LIMIT_BYTES: 1024 * 1024 }),
    { logger: false },
  );
  installFastifyHooks(app, name);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

async function waitForStatus(url: string, secret: string, status: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
    await res.arrayBuffer();
    if (res.status === status) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`expected ${status} within ${timeoutMs} ms, last ${res.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ApiKeyGuard across two replicas on real Kafka', () => {
  const connection = () => new KafkaConnection({ clientId: 'auth-guard-test', brokers: testInfra.kafkaBrokers() });
  let producerConnection: KafkaConnection;
  let producer: KafkaProducer;
  let replicas: Array<{ app: NestFastifyApplication; url: string }> = [];
  const secret = generateApiKey();
  const restricted = generateApiKey();

  beforeAll(async () => {
    await ensureTopics(testInfra.kafkaBrokers(), [topic]);
    producerConnection = connection();
    producer = new KafkaProducer(producerConnection);
    // Published before the replicas start: they must learn it by reading from the beginning.
    await producer.send(topic, { key: 'key-a', message: keyState({ keyId: 'key-a', secrets: [{ secret }], hmacSecret: HMAC, version: 1n }) });
    await producer.send(topic, {
      key: 'key-b',
      message: keyState({ keyId: 'key-b', secrets: [{ secret: restricted }], hmacSecret: HMAC, ipAllowlist: ['203.0.113.0/24'], version: 1n }),
    });
    replicas = await Promise.all([startReplica('replica-1'), startReplica('replica-2')]);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.app.close()));
    await producer?.disconnect();
    await producerConnection?.close();
  });

  it('admits a known key on every replica, from state published before they started', async () => {
    for (const { url } of replicas) {
      const res = await fetch(`${url}/v1/things`, { headers: { 'x-api-key': secret } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ keyId: 'key-a', tenantId: 'tenant-1' });
    }
  });

  it('answers missing, unknown, out-of-scope and disallowed-IP requests with the platform codes', async () => {
    const [{ url }] = replicas;
    const expectError = async (res: Response, status: number, type: string, code: string) => {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: object }).error).toMatchObject({ type, code, param: null });
    };
    await expectError(await fetch(`${url}/v1/things`), 401, 'authentication_error', 'missing_api_key');
    await expectError(await fetch(`${url}/v1/things`, { headers: { authorization: `Bearer ${generateApiKey()}` } }), 401, 'authentication_error', 'invalid_api_key');
    await expectError(await fetch(`${url}/v1/things/admin`, { headers: { authorization: `Bearer ${secret}` } }), 403, 'permission_error', 'insufficient_scope');
    await expectError(await fetch(`${url}/v1/things`, { headers: { authorization: `Bearer ${restricted}` } }), 403, 'permission_error', 'ip_not_allowed');
  });

  it('refuses a revoked key on every replica within one second of the change', async () => {
    await producer.send(topic, {
      key: 'key-a',
      message: keyState({ keyId: 'key-a', secrets: [{ secret }], hmacSecret: HMAC, version: 2n, status: ApiKeyStatus.REVOKED }),
    });
    const published = Date.now();
    await Promise.all(replicas.map(({ url }) => waitForStatus(`${url}/v1/things`, secret, 401, 5_000)));
    expect(Date.now() - published).toBeLessThan(1_000);
  });
});
