import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from './api-error';
import { toApiError } from './error-mapping';

/** The one place where every error of an HTTP service becomes the public OpenAI shape. */
@Catch()
export class OpenAIExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    sendApiError(exception, request, reply, this.logger);
  }
}

/** The error a client may see for `exception`; one it may not (a bug, an internal failure) is logged in full and answered as an opaque 500. */
export function publicError(exception: unknown, logger: { error(entry: object, message: string): void }, context: { requestId: string; url: string }): ApiError {
  const { error, exposed } = toApiError(exception);
  // Full detail for operators, nothing for the client.
  if (!exposed) logger.error({ err: exception, requestId: context.requestId, url: context.url }, 'unhandled error');
  return error;
}

export function sendApiError(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: Pick<Logger, 'error'>): void {
  const error = publicError(exception, logger, { requestId: request.id, url: request.url });
  if (reply.sent) return;
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  reply.header('x-request-id', request.id).status(error.status).type('application/json').send(error.toBody());
}
