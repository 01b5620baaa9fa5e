import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

export function sendApiError(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: Pick<Logger, 'error'>): void {
  const { error, exposed } = toApiError(exception);
  if (!exposed) {
    // Full detail for operators, nothing for the client.
    logger.error({ err: exception, requestId: request.id, url: request.url }, 'unhandled error');
  }
  if (reply.sent) return;
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  reply.header('x-request-id', request.id).status(error.status).type('application/json').send(error.toBody());
}
