import { ApiError } from '@vectorstack/http';

/** Every error the ratelimit service's own routes raise, mapped to the public OpenAI shape here only. */
export type RatelimitErrorCode = 'unknown_tier' | 'plan_not_found' | 'key_not_found' | 'limit_increase_not_allowed';

function assertUnreachable(value: never): never {
  throw new Error(`unmapped ratelimit error code: ${String(value)}`);
}

export function ratelimitError(code: RatelimitErrorCode, message: string, param: string | null = null): ApiError {
  switch (code) {
    case 'unknown_tier':
      return new ApiError(400, { code: 'invalid_value', type: 'invalid_request_error', message, param: param ?? 'tier' });
    case 'plan_not_found':
    case 'key_not_found':
      return new ApiError(404, { code: 'not_found', type: 'invalid_request_error', message, param });
    case 'limit_increase_not_allowed':
      return new ApiError(403, { code, type: 'permission_error', message, param });
    default:
      return assertUnreachable(code);
  }
}
