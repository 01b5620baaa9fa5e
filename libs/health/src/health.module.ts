import { type DynamicModule, Inject, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, READINESS_TIMEOUT_MS } from './health.controller';
import { READINESS_PROBES, type ReadinessProbe } from './readiness-probe';

export interface HealthModuleOptions {
  /** Providers (or factories) resolving to the probes of this service's dependencies. */
  probes: Provider<ReadinessProbe[]>;
  timeoutMs: number;
}

class ProbeCloser implements OnApplicationShutdown {
  constructor(@Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[]) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.probes.map((probe) => probe.close?.()));
  }
}

/** `/healthz` (liveness) and `/readyz` (each dependency, with a timeout) through @nestjs/terminus. */
@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController],
      providers: [options.probes, { provide: READINESS_TIMEOUT_MS, useValue: options.timeoutMs }, ProbeCloser],
    };
  }
}
