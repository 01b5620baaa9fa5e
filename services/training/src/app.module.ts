import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { TRAINING_SERVICE } from './service.definition';

/** Capability modules of the training service are added to the list below as they land. */
@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return httpServiceModule(AppModule, TRAINING_SERVICE, config, []);
  }
}
