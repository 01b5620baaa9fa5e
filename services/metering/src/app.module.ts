import { type DynamicModule, Module } from '@nestjs/common';
import { HttpPlatformModule } from '@vectorstack/http';
import { PlatformModule, type HttpServiceConfig } from '@vectorstack/platform';
import { METERING_SERVICE } from './service.definition';

@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HttpPlatformModule.forRoot({ serviceName: METERING_SERVICE.name, logLevel: config.LOG_LEVEL }),
        PlatformModule.forService(METERING_SERVICE, config),
      ],
    };
  }
}
