import { ApiError } from '@vectorstack/http';

/** Every error the metering service's own routes raise, mapped to the public OpenAI shape here only. */
export type MeteringErrorCode = 'invalid_value' | 'tenant_forbidden' | 'key_not_found' | 'budget_increase_not_allowed';

function assertUnreachable(value: never): never {
  throw new Error(`unmapped metering error code: ${String(value)}`);
}

export function meteringError(code: MeteringErrorCode, message: string, param: string | null = null): ApiError {
  switch (code) {
    case 'invalid_value':
      return new ApiError(400, { code, type: 'invalid_request_error', message, param });
    case 'tenant_forbidden':
      return new ApiError(403, { code, type: 'permission_error', message, param: param ?? 'tenant_id' });
    case 'key_not_found':
      return new ApiError(404, { code: 'not_found', type: 'invalid_request_error', message, param: param ?? 'key_id' });
    case 'budget_increase_not_allowed':
      return new ApiError(403, { code, type: 'permission_error', message, param });
    default:
      return assertUnreachable(code);
  }
}
