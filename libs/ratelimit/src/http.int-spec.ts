/**
 * The headers helper and the 429 on a real Fastify/Nest stack with the platform's error
 * filter, driven by the official `openai` SDK: what a client of a public service sees.
 * The route stands in for a public service's handler (check → headers or 429 → reconcile).
 */
import { randomUUID } from 'node:crypto';
import { Controller, HttpCode, Inject, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createFastifyAdapter, HttpPlatformModule, installFastifyHooks } from '@vectorstack/http';
import { testInfra } from '@vectorstack/testing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import OpenAI, { RateLimitError } from 'openai';
import { rateLimitExceeded, rateLimitHeaders } from './headers';
import { RateLimitKeys } from './keys';
import { type LimitOverride } from './plan';
import { RateLimiter } from './rate-limiter';
import { createRateLimitRedis, waitForRedis } from './redis-client';
import { adminRedis, deleteKeysUnder, testKeyPrefix } from './testing/redis';

const LIMITER = Symbol('LIMITER');
const NO_LIMITS: LimitOverride = {
  requests_per_minute: null,
  requests_per_hour: null,
  requests_per_day: null,
  tokens_per_minute: null,
  tokens_per_day: null,
  max_concurrent: null,
};

@Controller('v1/chat')
class ChatController {
  constructor(@Inject(LIMITER) private readonly limiter: RateLimiter) {}

  @Post('completions')
  @HttpCode(200)
  async complete(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const keyId = String(request.headers['x-test-key']);
    const clock = request.headers['x-test-now'] ? Number(request.headers['x-test-now']) : undefined;
    const result = await this.limiter.check({ tenantId: 'tenant-1', keyId, tier: 'pro', requestId: request.id, tokenEstimate: 50 }, clock);
    if (!result.allowed) throw rateLimitExceeded(result, clock);
    try {
      const holdMs = Number(request.headers['x-test-hold-ms'] ?? 0);
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
      reply.headers(rateLimitHeaders(result, clock));
      return {
        id: `chatcmpl-${request.id}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: 'test-model',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
      };
    } finally {
      await this.limiter.reconcile(keyId, request.id, 30);
    }
  }
}

describe('rate-limit headers and 429 over HTTP, seen through the openai SDK', () => {
  const prefix = testKeyPrefix('http');
  let redis: Redis;
  let admin: Redis;
  let limiter: RateLimiter;
  let app: NestFastifyApplication;
  let baseURL: string;

  beforeAll(async () => {
    redis = createRateLimitRedis(testInfra.redisUrl());
    admin = adminRedis();
    await waitForRedis(redis);
    limiter = new RateLimiter({ redis, keys: new RateLimitKeys(prefix) });
    await limiter.plans.seedDefaults();

    @Module({
      imports: [HttpPlatformModule.forRoot({ serviceName: 'ratelimit-http-test', logLevel: 'silent' })],
      controllers: [ChatController],
      providers: [{ provide: LIMITER, useValue: limiter }],
    })
    class TestModule {}
    app = await NestFactory.create<NestFastifyApplication>(
      TestModule,
      createFastifyAdapter({ TRUSTED_PROXIES: [], HTTP_BODY_LIMIT_BYTES: 1024 * 1024 }),
      { logger: false },
    );
    installFastifyHooks(app, 'ratelimit-http-test');
    await app.listen(0, '127.0.0.1');
    baseURL = `${await app.getUrl()}/v1`;
  });

  afterAll(async () => {
    await app?.close();
    await deleteKeysUnder(admin, prefix);
    redis.disconnect();
    admin.disconnect();
  });

  async function client(limits: LimitOverride, headers: Record<string, string> = {}, maxRetries = 0): Promise<OpenAI> {
    const keyId = randomUUID();
    await limiter.plans.putOverride(keyId, { ...NO_LIMITS, ...limits });
    return new OpenAI({ apiKey: 'unused', baseURL, maxRetries, defaultHeaders: { 'x-test-key': keyId, ...headers } });
  }

  const ask = (openai: OpenAI, headers: Record<string, string> = {}) =>
    openai.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }] }, { headers }).withResponse();

  async function rejection(promise: Promise<unknown>): Promise<RateLimitError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof RateLimitError) return error;
      throw error;
    }
    throw new Error('expected a 429');
  }

  it('sends the seeds’ and OpenAI’s headers on every admitted response', async () => {
    const now = Date.UTC(2026, 2, 10, 12, 0, 30);
    const openai = await client({ requests_per_minute: 60, requests_per_day: 1_000, tokens_per_minute: 10_000 }, { 'x-test-now': String(now) });
    const { response } = await ask(openai);
    const headers = Object.fromEntries(
      [...response.headers.entries()].filter(([name]) => name.startsWith('x-ratelimit')),
    );
    expect(headers).toEqual({
      'x-ratelimit-limit': '60',
      'x-ratelimit-remaining': '59',
      'x-ratelimit-reset': String((now + 60_000) / 1000),
      'x-ratelimit-daily-limit': '1000',
      'x-ratelimit-daily-remaining': '999',
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1m0s',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '9950',
      'x-ratelimit-reset-tokens': '1m0s',
    });
  });

  it('warns from 80% of a window on, then answers 429 naming the daily window', async () => {
    const now = Date.UTC(2026, 2, 10, 23, 0, 0);
    const openai = await client({ requests_per_day: 10 }, { 'x-test-now': String(now) });
    for (let i = 1; i <= 10; i++) {
      const { response } = await ask(openai);
      const warning = response.headers.get('x-ratelimit-warning');
      expect({ i, warning }).toEqual({ i, warning: i >= 8 ? `${i * 10}% of the daily request limit used (${i} of 10)` : null });
    }
    const refused = await rejection(ask(openai));
    expect(refused.status).toBe(429);
    expect(refused.error).toEqual({
      message: 'Daily request limit of 10 reached; resets at 00:00 UTC',
      type: 'rate_limit_error',
      param: null,
      code: 'rate_limit_exceeded',
    });
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(refused.headers.get('x-ratelimit-daily-remaining')).toBe('0');
    expect(refused.headers.get('x-request-id')).toBeTruthy();
  });

  it('Retry-After is exactly long enough: a second earlier is still refused, then the request succeeds', async () => {
    const start = Date.UTC(2026, 2, 10, 12, 0, 0);
    const openai = await client({ requests_per_minute: 2 });
    const at = (t: number) => ({ 'x-test-now': String(t) });
    await ask(openai, at(start));
    await ask(openai, at(start + 15_500));
    const refused = await rejection(ask(openai, at(start + 20_000)));
    expect(refused.error).toMatchObject({ message: 'Per-minute request limit of 2 reached; retry after 40 seconds' });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(40);
    await rejection(ask(openai, at(start + 20_000 + (retryAfter - 1) * 1000)));
    const { response } = await ask(openai, at(start + 20_000 + retryAfter * 1000));
    expect(response.status).toBe(200);
  });

  it('the SDK, honouring Retry-After on its own, gets through once the request in flight has finished', async () => {
    const keyOpenai = await client({ max_concurrent: 1 }, {}, 2);
    const slow = ask(keyOpenai, { 'x-test-hold-ms': '600' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    const { response } = await ask(keyOpenai); // first attempt: 429 with Retry-After: 1; the SDK waits and retries
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await slow).response.status).toBe(200);
  });
});
