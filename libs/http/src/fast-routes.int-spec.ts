/**
 * createFastRoutes + serveFirst: a Nest application whose hottest route is served by a Fastify
 * instance of its own on the same port, with the platform's ids, headers, metrics, body limit
 * and OpenAI-shape errors — and every other request still reaching Nest.
 */
import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { register } from 'prom-client';
import { ApiError } from './api-error';
import { createFastifyAdapter, installFastifyHooks } from './bootstrap';
import { createFastRoutes, serveFirst } from './fast-routes';
import { HttpPlatformModule } from './http-platform.module';

@Controller()
class NestRoutesController {
  @Get('hot')
  get() {
    return { servedBy: 'nest' };
  }

  @Post('cold')
  post() {
    return { servedBy: 'nest' };
  }
}

@Module({ imports: [HttpPlatformModule.forRoot({ serviceName: 'fast-test', logLevel: 'silent' })], controllers: [NestRoutesController] })
class TestModule {}

describe('a service with fast routes served ahead of Nest', () => {
  let app: NestFastifyApplication;
  let base: string;
  const errors: unknown[] = [];

  beforeAll(async () => {
    const http = { TRUSTED_PROXIES: [], HTTP_BODY_LIMIT_BYTES: 2048 };
    app = await NestFactory.create<NestFastifyApplication>(TestModule, createFastifyAdapter(http), { logger: false });
    installFastifyHooks(app, 'fast-test');
    const fast = createFastRoutes('fast-test', http, { error: (entry: unknown) => errors.push(entry) });
    fast.post('/hot', async (request) => ({ servedBy: 'fast', body: request.body }));
    fast.post('/crash', async () => {
      throw new Error('secret detail');
    });
    await fast.ready();
    serveFirst(app.getHttpServer(), fast, [
      { method: 'POST', path: '/hot' },
      { method: 'POST', path: '/crash' },
    ]);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${base}${path}`, { method: 'POST', headers, body });

  it('serves its routes (with a query string too) with the platform headers and the caller request id', async () => {
    const res = await post('/hot?x=1', JSON.stringify({ a: 1 }), { 'content-type': 'application/json', 'x-request-id': 'req-fast-1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ servedBy: 'fast', body: { a: 1 } });
    expect(res.headers.get('x-request-id')).toBe('req-fast-1');
    expect(res.headers.get('x-vectorstack-service')).toBe('fast-test');
  });

  it('leaves other methods and paths to Nest', async () => {
    expect(await (await fetch(`${base}/hot`)).json()).toEqual({ servedBy: 'nest' });
    expect(await (await post('/cold', '{}')).json()).toEqual({ servedBy: 'nest' });
    const unknown = await post('/hot/', '{}');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it.each([
    ['malformed JSON', '{"a":', 400, 'invalid_json'],
    ['an oversize body', JSON.stringify({ a: 'x'.repeat(4096) }), 413, 'payload_too_large'],
  ])('answers %s in the OpenAI error shape', async (_case, body, status, code) => {
    const res = await post('/hot', body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', code });
  });

  it('turns an unexpected error into an opaque 500 and logs it', async () => {
    const res = await post('/crash', '{}');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret detail');
    expect(JSON.parse(text)).toEqual({ error: ApiError.internal().toBody().error });
    expect(errors).toHaveLength(1);
  });

  it('counts its requests in the platform request metric under the route', async () => {
    const metrics = await register.metrics();
    expect(metrics).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_request_method="POST",http_route="\/hot",http_response_status_code="200"[^}]*\} [1-9]/);
  });
});
