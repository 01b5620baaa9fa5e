export { ApiError, errorTypeForStatus, type ApiErrorDetails, type OpenAIErrorBody, type OpenAIErrorType } from './api-error';
export {
  bootstrapHttpService,
  createFastifyAdapter,
  installFastifyHooks,
  installGracefulShutdown,
  installPlatformHooks,
  platformFastifyOptions,
  type HttpServiceOptions,
} from './bootstrap';
export { createFastRoutes, serveFirst, type FastRoute } from './fast-routes';
export { toApiError } from './error-mapping';
export { OpenAIExceptionFilter, sendApiError } from './exception.filter';
export { HttpPlatformModule, type HttpPlatformOptions } from './http-platform.module';
export { formatParamPath, parseOrThrow, zodErrorToApiError, ZodValidationPipe } from './validation';
export { openApiErrorSchema, openApiKeySecurity, openApiKeySecuritySchemes } from './openapi';
