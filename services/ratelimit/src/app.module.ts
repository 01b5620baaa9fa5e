import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { CheckModule } from './check/check.module';
import { RatelimitConfigModule, ratelimitOptionsFromEnv, type RatelimitOptions } from './config/ratelimit.config';
import { LimiterModule } from './limiter/limiter.module';
import { LimitsModule } from './limits/limits.module';
import { PlansModule } from './plans/plans.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { RATELIMIT_SERVICE } from './service.definition';

/** The service's capabilities (the integration tests build the same list around a test platform). */
export function ratelimitCapabilities(options: RatelimitOptions): NonNullable<DynamicModule['imports']> {
  return [RatelimitConfigModule.forRoot(options), LimiterModule, PlansModule, LimitsModule, ReconciliationModule];
}

@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    // gRPC Check is served by the process only (the in-process test apps have no gRPC server).
    return httpServiceModule(AppModule, RATELIMIT_SERVICE, config, [...ratelimitCapabilities(ratelimitOptionsFromEnv(config)), CheckModule]);
  }
}
