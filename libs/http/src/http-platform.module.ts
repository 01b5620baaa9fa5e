import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { loggingModule, MetricsModule } from '@vectorstack/observability';
import { OpenAIExceptionFilter } from './exception.filter';

export interface HttpPlatformOptions {
  serviceName: string;
  logLevel: string;
}

/**
 * What every HTTP service shares: pino request logging (request id on every line,
 * secrets redacted), Prometheus /metrics, and the single OpenAI-shape error filter.
 */
@Module({})
export class HttpPlatformModule {
  static forRoot(options: HttpPlatformOptions): DynamicModule {
    return {
      module: HttpPlatformModule,
      imports: [
        loggingModule(options.serviceName, options.logLevel),
        MetricsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: OpenAIExceptionFilter }],
    };
  }
}
