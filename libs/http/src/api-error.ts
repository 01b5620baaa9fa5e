/**
 * The public error format of every VectorAIStack endpoint: the OpenAI shape
 * `{"error":{"message","type","param","code"}}`.
 */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'rate_limit_error'
  | 'server_error';

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null };
}

export interface ApiErrorDetails {
  message: string;
  code: string;
  type?: OpenAIErrorType;
  param?: string | null;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

/** The error type a status implies when the thrower does not name one. */
export function errorTypeForStatus(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** An error meant for the client: its message is safe to show. */
export class ApiError extends Error {
  readonly type: OpenAIErrorType;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    details: ApiErrorDetails,
  ) {
    super(details.message);
    this.name = 'ApiError';
    this.type = details.type ?? errorTypeForStatus(status);
    this.code = details.code;
    this.param = details.param ?? null;
    this.headers = details.headers ?? {};
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static badRequest(message: string, param: string | null = null, code = 'invalid_value'): ApiError {
    return new ApiError(400, { message, param, code });
  }

  static unauthorized(message: string, code = 'invalid_api_key'): ApiError {
    return new ApiError(401, { message, code });
  }

  static forbidden(message: string, code: string): ApiError {
    return new ApiError(403, { message, code });
  }

  static notFound(message: string, code = 'not_found', param: string | null = null): ApiError {
    return new ApiError(404, { message, code, param });
  }

  static conflict(message: string, code = 'conflict'): ApiError {
    return new ApiError(409, { message, code });
  }

  static payloadTooLarge(message: string): ApiError {
    return new ApiError(413, { message, code: 'payload_too_large' });
  }

  static unavailable(message: string, code = 'service_unavailable'): ApiError {
    return new ApiError(503, { message, code });
  }

  static internal(): ApiError {
    return new ApiError(500, { message: 'The server had an error while processing your request.', code: 'internal_error' });
  }
}
