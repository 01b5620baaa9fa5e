import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { checkWithTimeout, READINESS_PROBES, type ReadinessProbe } from './readiness-probe';

export const READINESS_TIMEOUT_MS = Symbol('READINESS_TIMEOUT_MS');

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[],
    @Inject(READINESS_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  /** Liveness: the process runs and its event loop answers. Never checks dependencies. */
  @Get('healthz')
  liveness() {
    return { status: 'ok' };
  }

  /** Readiness: every dependency this service uses answered within the timeout. */
  @Get('readyz')
  @HealthCheck()
  async readiness(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks = this.probes.map((probe) => async () => {
      const indicator = this.indicators.check(probe.name);
      try {
        await checkWithTimeout(probe, this.timeoutMs);
        return indicator.up();
      } catch (error) {
        return indicator.down({ message: error instanceof Error ? error.message : String(error) });
      }
    });
    try {
      return await this.health.check(checks);
    } catch (error) {
      // Terminus signals "not ready" with a 503 exception; answer it as-is
      // (this internal route keeps terminus's body, not the public error shape).
      if (error instanceof ServiceUnavailableException) {
        reply.status(503);
        return error.getResponse();
      }
      throw error;
    }
  }
}
