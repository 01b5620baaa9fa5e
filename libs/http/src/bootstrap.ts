import type { IncomingMessage } from 'node:http';
import { type INestApplication, Logger as NestLogger, type Type, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpConfig } from '@vectorstack/config';
import { collectProcessMetrics, httpRequestDuration, resolveRequestId, shutdownTelemetry } from '@vectorstack/observability';
import type { FastifyInstance } from 'fastify';
import { Logger } from 'nestjs-pino';

export interface HttpServiceOptions {
  serviceName: string;
  module: Type<unknown> | DynamicModule;
  http: HttpConfig;
}

/** Fastify's request id: the caller's X-Request-Id when well-formed, else a new UUID, written back so pino-http logs the same id. */
export function genReqId(req: IncomingMessage): string {
  const id = resolveRequestId(req.headers['x-request-id']);
  req.headers['x-request-id'] = id;
  return id;
}

/** What every Fastify instance of a service shares: request ids, trusted proxies, the body limit. */
export function platformFastifyOptions(http: Pick<HttpConfig, 'TRUSTED_PROXIES' | 'HTTP_BODY_LIMIT_BYTES'>) {
  return {
    genReqId,
    // X-Forwarded-For is only believed from the configured proxies (local nginx, the ingress).
    trustProxy: http.TRUSTED_PROXIES.length > 0 ? http.TRUSTED_PROXIES : false,
    bodyLimit: http.HTTP_BODY_LIMIT_BYTES,
  };
}

export function createFastifyAdapter(http: Pick<HttpConfig, 'TRUSTED_PROXIES' | 'HTTP_BODY_LIMIT_BYTES'>): FastifyAdapter {
  return new FastifyAdapter({
    ...platformFastifyOptions(http),
    // On close: stop accepting, let in-flight requests finish, drop idle keep-alives.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
}

/**
 * Hooks every service needs below Nest: request id and service name echo, request metrics.
 * (Body-parser errors — bad JSON, too large, wrong media type — need no hook of
 * their own: Nest installs Fastify's error handler and routes them through the
 * global OpenAIExceptionFilter.)
 */
export function installFastifyHooks(app: NestFastifyApplication, serviceName: string): void {
  installPlatformHooks(app.getHttpAdapter().getInstance(), serviceName);
}

/** The hooks of installFastifyHooks on any Fastify instance (also a service's fast routes, see fast-routes.ts). */
export function installPlatformHooks(fastify: FastifyInstance, serviceName: string): void {
  fastify.addHook('onRequest', async (request, reply) => {
    // Which service answered: one base URL fronts seven services, and operators need to know.
    reply.header('x-request-id', request.id).header('x-vectorstack-service', serviceName);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    httpRequestDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });
}

/**
 * Creates, wires and starts an HTTP service: Fastify, pino, OpenAI-shape errors,
 * metrics, and graceful shutdown on SIGTERM/SIGINT (drain HTTP, then each module's
 * onApplicationShutdown stops consumers and closes pools), bounded by SHUTDOWN_GRACE_MS.
 */
export async function bootstrapHttpService(options: HttpServiceOptions): Promise<NestFastifyApplication> {
  collectProcessMetrics(options.serviceName);
  const app = await NestFactory.create<NestFastifyApplication>(options.module, createFastifyAdapter(options.http), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  installFastifyHooks(app, options.serviceName);
  installGracefulShutdown(app, options.http.SHUTDOWN_GRACE_MS);
  await app.listen(options.http.PORT, options.http.HOST);
  app.get(Logger).log(`${options.serviceName} listening on ${options.http.HOST}:${options.http.PORT}`, 'Bootstrap');
  return app;
}

/** SIGTERM/SIGINT → app.close() once; a watchdog exits if draining takes longer than the grace period. */
export function installGracefulShutdown(app: INestApplication | { close(): Promise<void> }, graceMs: number): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const logger = new NestLogger('Shutdown');
    logger.log(`${signal} received, draining`);
    const watchdog = setTimeout(() => {
      logger.error(`shutdown did not finish within ${graceMs} ms; exiting`);
      process.exit(1);
    }, graceMs + 1_000);
    watchdog.unref();
    app
      .close()
      .then(() => shutdownTelemetry())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
