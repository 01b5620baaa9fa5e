/**
 * HotRoutes: a Nest application whose hottest routes are served on plain node:http on the same
 * port, with the platform's ids, headers, metrics, body rules and OpenAI-shape errors — and every
 * other request still reaching Nest.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { register } from 'prom-client';
import { ApiError } from './api-error';
import { createFastifyAdapter, installFastifyHooks } from './bootstrap';
import { HotRoutes, type HotRequest } from './hot-routes';
import { HttpPlatformModule } from './http-platform.module';
import { endAtTurnEnd } from './turn-writes';

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

@Module({ imports: [HttpPlatformModule.forRoot({ serviceName: 'hot-test', logLevel: 'silent' })], controllers: [NestRoutesController] })
class TestModule {}

/** A pino logger whose lines land in `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>) {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
}

function answer(hot: HotRoutes, request: HotRequest, res: import('node:http').ServerResponse, body: unknown): Promise<void> {
  res.writeHead(200, { ...hot.platformHeaders(request.id), 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return Promise.resolve();
}

describe('a service with hot routes served ahead of Nest', () => {
  let app: NestFastifyApplication;
  let base: string;
  let hot: HotRoutes;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const http = { TRUSTED_PROXIES: [], HTTP_BODY_LIMIT_BYTES: 2048 };
    app = await NestFactory.create<NestFastifyApplication>(TestModule, createFastifyAdapter(http), { logger: false });
    installFastifyHooks(app, 'hot-test');
    hot = new HotRoutes('hot-test', http, capturingLogger(lines));
    hot.attach(app.getHttpServer(), [
      { method: 'POST', path: '/hot', handler: (request, res) => answer(hot, request, res, { servedBy: 'hot', body: request.body, ip: request.ip }) },
      {
        method: 'POST',
        path: '/crash',
        handler: async () => {
          throw new Error('secret detail');
        },
      },
      {
        method: 'POST',
        path: '/refuse-at-once',
        // Not an async function: it throws before returning a promise.
        handler: () => {
          throw ApiError.badRequest('max_tokens is too large', 'max_tokens', 'max_tokens_exceeded');
        },
      },
      {
        method: 'POST',
        path: '/answered-then-failed',
        // Its answer is on the way (written at the turn's end) when it fails: the answer stands.
        handler: async (request, res) => {
          res.writeHead(200, { ...hot.platformHeaders(request.id), 'content-type': 'application/json' });
          endAtTurnEnd(res, JSON.stringify({ answered: true }));
          throw new Error('failed after answering');
        },
      },
      {
        method: 'POST',
        path: '/refuse',
        handler: async (_request, res) => {
          res.setHeader('x-ratelimit-remaining-requests', '7');
          throw new ApiError(429, { message: 'slow down', code: 'rate_limit_exceeded', headers: { 'retry-after': '3' } });
        },
      },
    ]);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${base}${path}`, { method: 'POST', headers, body });

  it('serves its routes (with a query string too) with the platform headers, the caller request id and the body', async () => {
    const res = await post('/hot?x=1', JSON.stringify({ a: 1 }), { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req-hot-1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ servedBy: 'hot', body: { a: 1 }, ip: '127.0.0.1' });
    expect(res.headers.get('x-request-id')).toBe('req-hot-1');
    expect(res.headers.get('x-vectorstack-service')).toBe('hot-test');
  });

  it('gives a request without a usable id a new UUID', async () => {
    const res = await post('/hot', '{}', { 'content-type': 'application/json', 'x-request-id': 'bad id with spaces' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('leaves other methods and paths to Nest', async () => {
    expect(await (await fetch(`${base}/hot`)).json()).toEqual({ servedBy: 'nest' });
    expect(await (await post('/cold', '{}')).json()).toEqual({ servedBy: 'nest' });
    const unknown = await post('/hot/', '{}');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it.each([
    ['malformed JSON', '{"a":', { 'content-type': 'application/json' }, 400, 'invalid_json'],
    ['an empty JSON body', '', { 'content-type': 'application/json' }, 400, 'invalid_json'],
    ['a __proto__ key', '{"__proto__":{"admin":true}}', { 'content-type': 'application/json' }, 400, 'invalid_json'],
    ['a constructor.prototype key', '{"constructor":{"prototype":{"admin":true}}}', { 'content-type': 'application/json' }, 400, 'invalid_json'],
    ['an oversize body', JSON.stringify({ a: 'x'.repeat(4096) }), { 'content-type': 'application/json' }, 413, 'payload_too_large'],
    ['another media type', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
    ['a body without a media type', '{"a":1}', {}, 415, 'unsupported_media_type'],
  ])('answers %s in the OpenAI error shape', async (_case, body, headers: Record<string, string>, status, code) => {
    const res = await post('/hot', body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', code });
  });

  it('refuses an oversize body sent without a Content-Length (chunked) while reading it', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(`"${'y'.repeat(1000)}",`));
        controller.close();
      },
    });
    const res = await fetch(`${base}/hot`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('passes an empty request without a media type to the handler (whose validation decides)', async () => {
    const res = await post('/hot', undefined, {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ servedBy: 'hot', ip: '127.0.0.1' });
  });

  it('answers an ApiError with its status, its headers and the headers the handler had set', async () => {
    const res = await post('/refuse', '{}');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('7');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
  });

  it('answers what a handler throws synchronously like a rejection', async () => {
    const res = await post('/refuse-at-once', '{}', { 'content-type': 'application/json', 'x-request-id': 'req-sync-1' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('req-sync-1');
    expect(((await res.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: 'max_tokens_exceeded', param: 'max_tokens' });
  });

  it('turns an unexpected error into an opaque 500 and logs it with the request id', async () => {
    const res = await post('/crash', '{}', { 'content-type': 'application/json', 'x-request-id': 'req-crash-1' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret detail');
    expect(JSON.parse(text)).toEqual({ error: ApiError.internal().toBody().error });
    const logged = lines.find((line) => line.msg === 'unhandled error');
    expect(logged).toMatchObject({ requestId: 'req-crash-1', err: { message: 'secret detail' } });
    // …and the request line of the failure, at info.
    expect(lines.find((line) => line.msg === 'request errored')).toMatchObject({ requestId: 'req-crash-1', res: { statusCode: 500 } });
  });

  it('keeps an answer the handler ended at the turn end before it failed (no second end, no empty body)', async () => {
    const res = await post('/answered-then-failed', '{}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ answered: true });
  });

  it('counts its requests in the platform request metric under the route', async () => {
    const metrics = await register.metrics();
    expect(metrics).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_request_method="POST",http_route="\/hot",http_response_status_code="200"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_route="\/hot",http_response_status_code="413"[^}]*\} [1-9]/);
  });
});

describe('hot routes behind a trusted proxy, and while closing', () => {
  let server: Server;
  let base: string;
  let hot: HotRoutes;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    hot = new HotRoutes('hot-test', { TRUSTED_PROXIES: ['127.0.0.1/32'], HTTP_BODY_LIMIT_BYTES: 1024 }, pino({ level: 'silent' }));
    hot.attach(server, [{ method: 'POST', path: '/ip', handler: (request, res) => answer(hot, request, res, { ip: request.ip }) }]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('believes X-Forwarded-For from a trusted proxy (the last untrusted hop)', async () => {
    const res = await fetch(`${base}/ip`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9, 127.0.0.1' }, body: '{}' });
    expect(await res.json()).toEqual({ ip: '203.0.113.9' });
  });

  it('answers 503 with Connection: close once closed', async () => {
    hot.close();
    const res = await fetch(`${base}/ip`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(503);
    expect(res.headers.get('connection')).toBe('close');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
  });
});
