import { type DynamicModule, Module } from '@nestjs/common';
import { HttpPlatformModule } from '@vectorstack/http';
import { PlatformModule, type HttpServiceConfig } from '@vectorstack/platform';
import { INFERENCE_SERVICE } from './service.definition';

@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HttpPlatformModule.forRoot({ serviceName: INFERENCE_SERVICE.name, logLevel: config.LOG_LEVEL }),
        PlatformModule.forService(INFERENCE_SERVICE, config),
      ],
    };
  }
}
