import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { BudgetsModule } from './budgets/budgets.module';
import { MeteringConfigModule, meteringOptionsFromEnv, type MeteringOptions } from './config/metering.config';
import { LedgerModule } from './ledger/ledger.module';
import { PricingModule } from './pricing/pricing.module';
import { METERING_SERVICE } from './service.definition';
import { UsageModule } from './usage/usage.module';

/** The service's capabilities. */
export function meteringCapabilities(options: MeteringOptions): NonNullable<DynamicModule['imports']> {
  return [MeteringConfigModule.forRoot(options), PricingModule, BudgetsModule, LedgerModule, UsageModule];
}

@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return httpServiceModule(AppModule, METERING_SERVICE, config, meteringCapabilities(meteringOptionsFromEnv()));
  }
}
