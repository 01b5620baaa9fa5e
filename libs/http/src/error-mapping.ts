import { HttpException } from '@nestjs/common';
import { ApiError, errorTypeForStatus } from './api-error';

/** Fastify's own error codes for problems with the request itself. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is empty; expected a JSON object.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'invalid_content_type' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url' },
};

const STATUS_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_api_key',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limit_exceeded',
  503: 'service_unavailable',
};

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * Nest re-throws Fastify's body-parser errors as `new HttpException(message, status)`,
 * dropping Fastify's error code; a plain-string 400 about JSON is that parser's.
 */
function httpExceptionCode(status: number, exception: HttpException): string {
  const raw = exception.getResponse();
  if (status === 400 && typeof raw === 'string' && /\bJSON\b|application\/json/.test(raw)) return 'invalid_json';
  return STATUS_CODES[status] ?? 'invalid_request';
}

/**
 * Maps anything thrown while serving a request to the public error. Only
 * ApiError, Nest HttpException and Fastify client errors keep their message;
 * everything else becomes an opaque 500 (`exposed: false`) so internals and
 * stack traces never reach a client.
 */
export function toApiError(exception: unknown): { error: ApiError; exposed: boolean } {
  if (exception instanceof ApiError) return { error: exception, exposed: true };

  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) return { error: ApiError.internal(), exposed: false };
    const message = status === 404 ? 'Unknown route.' : httpExceptionMessage(exception);
    return {
      error: new ApiError(status, { message, code: httpExceptionCode(status, exception), type: errorTypeForStatus(status) }),
      exposed: true,
    };
  }

  const fastifyCode = (exception as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_CLIENT_ERRORS) {
    const known = FASTIFY_CLIENT_ERRORS[fastifyCode];
    const message = known.message ?? (exception as Error).message;
    return { error: new ApiError(known.status, { message, code: known.code }), exposed: true };
  }

  // Errors from body parsing carry a 4xx statusCode (e.g. JSON SyntaxError).
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      error: new ApiError(statusCode, { message: 'The request could not be read.', code: STATUS_CODES[statusCode] ?? 'invalid_request' }),
      exposed: true,
    };
  }

  return { error: ApiError.internal(), exposed: false };
}
