// Test support for the ratelimit service's integration specs: the service's capabilities in
// process, around the shared guard following a per-run key-state topic on the real Kafka,
// the real Redis under a per-run key prefix, and a per-run usage topic.
import { create } from '@bufbuild/protobuf';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthGuardModule, generateApiKey, hashApiKey, KeyStateCache, tierEnum, type TierName } from '@vectorstack/auth-guard';
import { ApiKeyStateSchema, ApiKeyStatus, PrincipalSchema, SecretHashSchema, Topics, type ApiKeyState, type TopicSpec, type UsageRecorded } from '@vectorstack/contracts';
import { createFastifyAdapter, HttpPlatformModule, installFastifyHooks } from '@vectorstack/http';
import { ensureTopics, KafkaModule, KafkaProducer, newTestRunId, testTopic } from '@vectorstack/kafka';
import { RateLimiter } from '@vectorstack/ratelimit';
import { testInfra } from '@vectorstack/testing';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { ratelimitCapabilities } from '../app.module';
import type { RatelimitOptions } from '../config/ratelimit.config';

const HMAC = 'r'.repeat(64);

export interface TestKey {
  readonly keyId: string;
  readonly tenantId: string;
  readonly tier: TierName;
  readonly scopes: readonly string[];
  readonly secret: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class RatelimitTestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly url: string,
    readonly options: RatelimitOptions,
    private readonly keyTopic: TopicSpec<GenMessage<ApiKeyState>>,
  ) {}

  static async start(label: string): Promise<RatelimitTestApp> {
    const runId = newTestRunId();
    const keyTopic = testTopic(Topics.apiKeyState, `${label}-${runId}`);
    const usageTopic = testTopic(Topics.usageRecorded, `${label}-${runId}`);
    await ensureTopics(testInfra.kafkaBrokers(), [keyTopic, usageTopic]);
    const options: RatelimitOptions = {
      redisUrl: testInfra.redisUrl(),
      keyPrefix: `vs:rl:svc-${label}-${runId}:`,
      commandTimeoutMs: 2_000,
      leaseMs: 60_000,
      usageTopic,
      reconciliationGroupId: `ratelimit-reconciliation-${label}-${runId}`,
    };
    const serviceName = `ratelimit-${label}`;

    @Module({
      imports: [
        HttpPlatformModule.forRoot({ serviceName, logLevel: 'silent' }),
        KafkaModule.forRoot({ clientId: serviceName, brokers: testInfra.kafkaBrokers() }),
        AuthGuardModule.forRoot({ serviceName, hmacSecret: HMAC, topic: keyTopic }),
        ...ratelimitCapabilities(options),
      ],
    })
    class TestAppModule {}

    const app = await NestFactory.create<NestFastifyApplication>(
      TestAppModule,
      createFastifyAdapter({ TRUSTED_PROXIES: [], HTTP_BODY_LIMIT_BYTES: 1024 * 1024 }),
      { logger: false },
    );
    installFastifyHooks(app, serviceName);
    await app.listen(0, '127.0.0.1');
    return new RatelimitTestApp(app, await app.getUrl(), options, keyTopic);
  }

  get limiter(): RateLimiter {
    return this.app.get(RateLimiter);
  }

  /** Publishes an active key on the per-run key-state topic and waits until the service's guard knows it. */
  async publishKey(fields: { tenantId?: string; tier?: TierName; scopes?: string[] } = {}): Promise<TestKey> {
    const key: TestKey = {
      keyId: randomUUID(),
      tenantId: fields.tenantId ?? randomUUID(),
      tier: fields.tier ?? 'pro',
      scopes: fields.scopes ?? ['chat'],
      secret: generateApiKey(),
    };
    const state = create(ApiKeyStateSchema, {
      principal: create(PrincipalSchema, { tenantId: key.tenantId, keyId: key.keyId, tier: tierEnum(key.tier), scopes: [...key.scopes] }),
      status: ApiKeyStatus.ACTIVE,
      secretHashes: [create(SecretHashSchema, { hmacSha256: hashApiKey(key.secret, HMAC) })],
      displayPrefix: key.secret.slice(0, 12),
      version: 1n,
    });
    await this.app.get(KafkaProducer).send(this.keyTopic, { key: key.keyId, message: state });
    const cache = this.app.get(KeyStateCache);
    await waitUntil(`key ${key.keyId} in the guard's cache`, () => cache.stateOf(key.keyId) !== undefined);
    return key;
  }

  /** One usage event, as a batch of one (the usage topic carries UsageRecordedBatch records), with the record headers given. */
  async publishUsage(event: MessageInitShape<GenMessage<UsageRecorded>>, headers?: Record<string, string>): Promise<void> {
    await this.app.get(KafkaProducer).send(this.options.usageTopic, { key: String(event.tenantId ?? ''), message: { events: [event] }, ...(headers ? { headers } : {}) });
  }

  async call(method: string, path: string, options: { key?: TestKey; body?: unknown; rawBody?: string } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (options.key) headers.authorization = `Bearer ${options.key.secret}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  /** Stops the app and deletes every Redis key of the run. */
  async close(): Promise<void> {
    await this.app.close();
    const redis = new Redis(this.options.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.options.keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
}

export function expectOpenAIError(res: ApiResponse, status: number, type: string, code: string, param: string | null = null): void {
  expect({ status: res.status, type: res.body?.error?.type, code: res.body?.error?.code, param: res.body?.error?.param }).toEqual({ status, type, code, param });
  expect(typeof res.body.error.message).toBe('string');
}
