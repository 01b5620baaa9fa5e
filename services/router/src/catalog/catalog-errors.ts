import { ApiError } from '@vectorstack/http';

/** Every error the model catalog raises, mapped to the public OpenAI shape below (only here). */
export type CatalogErrorCode =
  | 'model_not_found'
  | 'model_access_denied'
  | 'model_disabled'
  | 'model_exists'
  | 'alias_taken'
  | 'model_in_use'
  | 'version_conflict'
  | 'unknown_fallback'
  | 'invalid_credential_ref'
  | 'invalid_value';

function assertUnreachable(value: never): never {
  throw new Error(`unmapped catalog error code: ${String(value)}`);
}

/** Builds the public error for `code`; `param` names the offending request field where there is one. */
export function catalogError(code: CatalogErrorCode, message: string, param: string | null = null): ApiError {
  switch (code) {
    case 'model_not_found':
      return new ApiError(404, { code, type: 'invalid_request_error', message, param });
    case 'model_access_denied':
      return new ApiError(403, { code, type: 'permission_error', message, param });
    case 'model_disabled':
      // The code as seed 004 spells it, so clients written against it recognise it.
      return new ApiError(403, { code: 'MODEL_DISABLED', type: 'permission_error', message, param });
    case 'model_exists':
    case 'alias_taken':
    case 'model_in_use':
    case 'version_conflict':
      return new ApiError(409, { code, type: 'invalid_request_error', message, param });
    case 'unknown_fallback':
    case 'invalid_credential_ref':
    case 'invalid_value':
      return new ApiError(400, { code, type: 'invalid_request_error', message, param });
    default:
      return assertUnreachable(code);
  }
}
