import { ApiError } from '@vectorstack/http';

/** Every error the auth service's own capabilities raise, mapped to the public OpenAI shape below (only here). */
export type AuthErrorCode =
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'insufficient_scope'
  | 'not_found'
  | 'tenant_exists'
  | 'invalid_value'
  | 'invalid_cursor'
  | 'too_many_ip_addresses'
  | 'key_revoked';

function assertUnreachable(value: never): never {
  throw new Error(`unmapped auth error code: ${String(value)}`);
}

/** Builds the public error for `code`; `param` names the offending request field where there is one. */
export function authError(code: AuthErrorCode, message?: string, param: string | null = null): ApiError {
  switch (code) {
    case 'missing_api_key':
      return new ApiError(401, {
        code,
        type: 'authentication_error',
        message: message ?? 'You did not provide an API key. Send it as "Authorization: Bearer <key>", "X-API-Key" or "X-My-API-Key".',
      });
    case 'invalid_api_key':
      return new ApiError(401, { code, type: 'authentication_error', message: message ?? 'Incorrect, revoked or expired API key provided.' });
    case 'insufficient_scope':
      return new ApiError(403, { code, type: 'permission_error', message: message ?? 'This API key does not have the scope this request needs.' });
    case 'not_found':
      return new ApiError(404, { code, type: 'invalid_request_error', message: message ?? 'Not found.', param });
    case 'tenant_exists':
      return new ApiError(409, { code, type: 'invalid_request_error', message: message ?? 'A tenant with this name already exists.', param: param ?? 'name' });
    case 'key_revoked':
      return new ApiError(409, { code, type: 'invalid_request_error', message: message ?? 'This API key is revoked.' });
    case 'invalid_value':
    case 'invalid_cursor':
    case 'too_many_ip_addresses':
      return new ApiError(400, { code, type: 'invalid_request_error', message: message ?? 'Invalid value.', param });
    default:
      return assertUnreachable(code);
  }
}
