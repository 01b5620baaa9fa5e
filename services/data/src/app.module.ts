import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { DATA_SERVICE } from './service.definition';

/** Capability modules of the data service are added to the list below as they land. */
@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return httpServiceModule(AppModule, DATA_SERVICE, config, []);
  }
}
