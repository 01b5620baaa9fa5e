import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { z } from 'zod';
import { ApiError } from './api-error';
import { createFastifyAdapter, installFastifyHooks } from './bootstrap';
import { HttpPlatformModule } from './http-platform.module';
import { ZodValidationPipe } from './validation';

const CreateWidget = z
  .object({
    name: z.string().min(1),
    size: z.number().int().min(1).max(10),
    tags: z.array(z.string()).max(3).optional(),
  })
  .strict();

@Controller('widgets')
class WidgetsController {
  @Post()
  create(@Body(new ZodValidationPipe(CreateWidget)) body: z.infer<typeof CreateWidget>) {
    return { created: body.name };
  }

  @Get('conflict')
  conflict() {
    throw ApiError.conflict('Widget already exists.', 'widget_exists');
  }

  @Get('crash')
  crash() {
    throw new Error('database password is hunter2 at /srv/app.ts:12');
  }
}

@Module({ imports: [HttpPlatformModule.forRoot({ serviceName: 'test', logLevel: 'silent' })], controllers: [WidgetsController] })
class TestModule {}

describe('HTTP platform: the OpenAI error shape for every failure', () => {
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(
      TestModule,
      createFastifyAdapter({ TRUSTED_PROXIES: [], HTTP_BODY_LIMIT_BYTES: 2048 }),
      { logger: false },
    );
    installFastifyHooks(app, 'test');
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${base}/widgets`, { method: 'POST', headers, body });

  it('accepts a valid body', async () => {
    const res = await post(JSON.stringify({ name: 'a', size: 2 }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ created: 'a' });
  });

  it.each([
    ['malformed JSON', '{"name": "a",', 400, { type: 'invalid_request_error', code: 'invalid_json', param: null }],
    ['a missing field', JSON.stringify({ name: 'a' }), 400, { code: 'missing_required_parameter', param: 'size' }],
    ['a wrong type', JSON.stringify({ name: 'a', size: 'big' }), 400, { code: 'invalid_value', param: 'size' }],
    ['a nested bad value', JSON.stringify({ name: 'a', size: 1, tags: ['x', 7] }), 400, { code: 'invalid_value', param: 'tags[1]' }],
    ['an unknown field', JSON.stringify({ name: 'a', size: 1, colour: 'red' }), 400, { code: 'unknown_parameter', param: 'colour' }],
    ['an oversize body', JSON.stringify({ name: 'x'.repeat(4096), size: 1 }), 413, { code: 'payload_too_large' }],
  ])('answers %s with the right status and shape', async (_case, body, status, expected) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', ...expected });
    expect(typeof json.error.message).toBe('string');
  });

  it('answers a wrong content type with 415', async () => {
    const res = await post('<widget/>', { 'content-type': 'application/xml' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
  });

  it('passes domain errors through and hides internal ones', async () => {
    const conflict = await fetch(`${base}/widgets/conflict`);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({
      error: { message: 'Widget already exists.', type: 'invalid_request_error', param: null, code: 'widget_exists' },
    });

    const crash = await fetch(`${base}/widgets/crash`);
    expect(crash.status).toBe(500);
    const text = await crash.text();
    expect(text).not.toMatch(/hunter2|\.ts:|at /);
    expect(JSON.parse(text)).toEqual({
      error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: 'internal_error' },
    });
  });

  it('answers unknown routes with 404 in the same shape and echoes the request id', async () => {
    const res = await fetch(`${base}/nope`, { headers: { 'x-request-id': 'req-42' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('mints a request id when the caller sends none', async () => {
    const res = await fetch(`${base}/widgets/conflict`);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
