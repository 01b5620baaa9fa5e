import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { CatalogModule } from './catalog/catalog.module';
import { GatewayModule } from './gateway/gateway.module';
import { ROUTER_SERVICE } from './service.definition';

@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return httpServiceModule(AppModule, ROUTER_SERVICE, config, [
      CatalogModule.forRoot(),
      GatewayModule.forRoot(),
    ]);
  }
}
