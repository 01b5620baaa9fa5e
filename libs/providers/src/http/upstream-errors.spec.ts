import { UpstreamError } from '../types';
import { httpFailure, kindForStatus, normaliseErrorBody, parseRetryAfterMs, streamFailure, transportFailure } from './upstream-errors';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': ' 3 ' }, 3000],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }, 7000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0],
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'retry-after-ms': '250.4', 'retry-after': '9' }, 251],
    [{ 'retry-after-ms': 'soon', 'retry-after': '1' }, 1000],
    [{ 'retry-after': ['4', '5'] }, 4000],
  ])('%j → %d ms', (headers, expected) => {
    expect(parseRetryAfterMs(headers, now)).toBe(expected);
  });

  it.each([[{}], [{ 'retry-after': 'later' }], [{ 'retry-after': '-1' }], [{ 'retry-after': '' }]])('%j → undefined', (headers) => {
    expect(parseRetryAfterMs(headers, now)).toBeUndefined();
  });
});

describe('normaliseErrorBody', () => {
  it('keeps the OpenAI shape, filling what is missing', () => {
    expect(normaliseErrorBody(400, '{"error":{"message":"bad temperature","type":"invalid_request_error","param":"temperature","code":null}}')).toEqual({
      error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: null },
    });
    expect(normaliseErrorBody(401, '{"error":{"message":"no key"}}')).toEqual({ error: { message: 'no key', type: 'authentication_error', param: null, code: null } });
  });

  it('reads llama.cpp numeric codes as strings', () => {
    expect(normaliseErrorBody(400, '{"error":{"code":400,"message":"context too long","type":"invalid_request_error"}}').error).toEqual({
      message: 'context too long',
      type: 'invalid_request_error',
      param: null,
      code: '400',
    });
  });

  it("reads Anthropic's error envelope", () => {
    expect(normaliseErrorBody(404, '{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}')).toEqual({
      error: { message: 'model: claude-9', type: 'not_found_error', param: null, code: null },
    });
  });

  it("reads vLLM's flat error object", () => {
    expect(normaliseErrorBody(400, '{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}')).toEqual({
      error: { message: 'max_tokens is too large', type: 'BadRequestError', param: null, code: '400' },
    });
  });

  it('reads string errors (Ollama native, the seeds) and FastAPI details', () => {
    expect(normaliseErrorBody(404, '{"error":"model \\"llama9\\" not found"}').error.message).toBe('model "llama9" not found');
    expect(normaliseErrorBody(403, '{"error":"Model Temporarily Unavailable","message":"disabled by the administrator","code":"MODEL_DISABLED"}').error).toEqual({
      message: 'disabled by the administrator',
      type: 'permission_error',
      param: null,
      code: 'MODEL_DISABLED',
    });
    expect(normaliseErrorBody(422, '{"detail":[{"loc":["body","messages"],"msg":"field required"}]}').error.message).toContain('field required');
  });

  it('wraps text and empty bodies', () => {
    expect(normaliseErrorBody(502, '<html>Bad Gateway</html>')).toEqual({
      error: { message: 'Upstream answered HTTP 502: <html>Bad Gateway</html>', type: 'server_error', param: null, code: null },
    });
    expect(normaliseErrorBody(400, '').error.message).toBe('Upstream answered HTTP 400');
  });
});

describe('httpFailure', () => {
  it.each([
    [429, 'rate_limited', true],
    [408, 'timeout', true],
    [500, 'server_error', true],
    [503, 'server_error', true],
    [529, 'server_error', true],
    [400, 'client_error', false],
    [401, 'client_error', false],
    [404, 'client_error', false],
    [302, 'protocol', false],
  ])('HTTP %d → %s (retryable: %s)', (status, kind, retryable) => {
    expect(kindForStatus(status)).toBe(kind);
    const error = httpFailure(status, {}, '');
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.options.status).toBe(status);
  });

  it('carries Retry-After on 429 and 5xx, with the normalised body', () => {
    const error = httpFailure(429, { 'retry-after': '3' }, '{"error":{"message":"slow down","type":"rate_limit_error"}}');
    expect(error.options.retryAfterMs).toBe(3000);
    expect(error.options.body?.error.message).toBe('slow down');
    expect(error.message).toBe('Upstream answered HTTP 429: slow down');
    expect(httpFailure(503, { 'retry-after-ms': '120' }, '').options.retryAfterMs).toBe(120);
    expect(httpFailure(400, { 'retry-after': '3' }, '').options.retryAfterMs).toBeUndefined();
  });
});

describe('streamFailure', () => {
  it.each([
    [{ error: { message: 'boom', type: 'server_error' } }, 'server_error'],
    [{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'server_error'],
    [{ type: 'error', error: { type: 'rate_limit_error', message: 'slow' } }, 'rate_limited'],
    [{ error: { message: 'bad', type: 'invalid_request_error' } }, 'client_error'],
    [{ error: { object: 'error', message: 'bad', type: 'BadRequestError', code: 400 } }, 'client_error'],
  ])('%j → %s', (payload, kind) => {
    const error = streamFailure(payload);
    expect(error.kind).toBe(kind);
    expect(error.message).toContain('mid-stream');
  });
});

describe('transportFailure', () => {
  const codeError = (code: string) => Object.assign(new Error(code), { code });

  it.each([
    ['ECONNREFUSED', 'connect'],
    ['ECONNRESET', 'connect'],
    ['UND_ERR_SOCKET', 'connect'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect'],
    ['ENOTFOUND', 'connect'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['UND_ERR_ABORTED', 'aborted'],
    ['HPE_INVALID_CONSTANT', 'protocol'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'protocol'],
  ])('%s → %s', (code, kind) => {
    expect(transportFailure(codeError(code), new AbortController().signal).kind).toBe(kind);
  });

  it('reads the code of an AggregateError (happy eyeballs) and of a cause', () => {
    expect(transportFailure(new AggregateError([codeError('ECONNREFUSED')], 'connect failed'), undefined).kind).toBe('connect');
    expect(transportFailure(new Error('fetch failed', { cause: codeError('UND_ERR_HEADERS_TIMEOUT') }), undefined).kind).toBe('timeout');
  });

  it('reports an abort as aborted whatever the transport said', () => {
    const controller = new AbortController();
    controller.abort();
    expect(transportFailure(codeError('UND_ERR_SOCKET'), controller.signal).kind).toBe('aborted');
    expect(transportFailure(new DOMException('This operation was aborted', 'AbortError'), undefined).kind).toBe('aborted');
  });

  it('classifies malformed JSON as protocol and passes UpstreamErrors through', () => {
    let syntax: unknown;
    try {
      JSON.parse('{"id":');
    } catch (error) {
      syntax = error;
    }
    expect(transportFailure(syntax, undefined).kind).toBe('protocol');
    const original = new UpstreamError('rate_limited', 'x');
    expect(transportFailure(original, undefined)).toBe(original);
  });
});
