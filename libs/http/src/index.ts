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
export { HotRoutes, type HotHandler, type HotHeaders, type HotRequest, type HotRoute } from './hot-routes';
export { atTurnEnd, endAtTurnEnd, isEnding } from './turn-writes';
export { toApiError } from './error-mapping';
export { OpenAIExceptionFilter, publicError, sendApiError } from './exception.filter';
export { HttpPlatformModule, type HttpPlatformOptions } from './http-platform.module';
export { formatParamPath, parseOrThrow, zodErrorToApiError, ZodValidationPipe } from './validation';
export { openApiErrorSchema, openApiKeySecurity, openApiKeySecuritySchemes } from './openapi';
