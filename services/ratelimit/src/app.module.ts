import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { RATELIMIT_SERVICE } from './service.definition';

/** Capability modules of the ratelimit service are added to the list below as they land. */
@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return httpServiceModule(AppModule, RATELIMIT_SERVICE, config, []);
  }
}
