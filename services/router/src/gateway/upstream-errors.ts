import { ApiError } from '@vectorstack/http';
import { UpstreamError } from '@vectorstack/providers';
import { RouteExhaustedError } from '../routing/route-executor';

/** What the client sees when the upstream side failed (never the upstream's internals). */
export function clientErrorFor(error: RouteExhaustedError | UpstreamError): ApiError {
  if (error instanceof RouteExhaustedError) {
    const last = error.lastError;
    if (!last) {
      return new ApiError(503, {
        type: 'server_error',
        code: 'model_unavailable',
        message: 'Every deployment of this model is cooling down after repeated failures; please retry shortly.',
        headers: { 'Retry-After': '5' },
      });
    }
    if (last.kind === 'rate_limited') {
      const seconds = Math.max(1, Math.ceil((last.options.retryAfterMs ?? 1_000) / 1_000));
      return new ApiError(429, {
        type: 'rate_limit_error',
        code: 'upstream_rate_limited',
        message: `The model provider is rate limiting this model; retry after ${seconds} s.`,
        headers: { 'Retry-After': String(seconds) },
      });
    }
    if (last.kind === 'timeout') return new ApiError(504, { type: 'server_error', code: 'upstream_timeout', message: 'The model provider did not answer in time.' });
    return new ApiError(502, { type: 'server_error', code: 'upstream_error', message: 'The model provider failed to answer; please retry.' });
  }
  const status = error.options.status ?? 502;
  if (error.kind === 'client_error' && status !== 401 && status !== 403 && status !== 404) {
    // The request itself was refused upstream (e.g. a prompt over the context window): the caller's to fix.
    const body = error.options.body?.error;
    return new ApiError(status >= 400 && status < 500 ? status : 400, {
      type: 'invalid_request_error',
      code: body?.code ?? 'upstream_invalid_request',
      param: body?.param ?? null,
      message: body?.message ?? error.message,
    });
  }
  // 401/403/404 from a provider mean our deployment is misconfigured (credential, model name): not the caller's fault.
  return new ApiError(502, { type: 'server_error', code: 'upstream_error', message: 'The model provider refused the platform\'s request; an administrator has to check this deployment.' });
}
