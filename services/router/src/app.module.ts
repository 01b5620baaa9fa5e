import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { ROUTER_SERVICE } from './service.definition';

/** Capability modules of the router service are added to the list below as they land. */
@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return httpServiceModule(AppModule, ROUTER_SERVICE, config, []);
  }
}
