import { type BeforeApplicationShutdown, type DynamicModule, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { createLogger } from '@vectorstack/observability';
import { GrpcServer } from './server';

export interface GrpcServerModuleOptions {
  serviceName: string;
  host: string;
  port: number;
  /** How long shutdown lets in-flight calls finish. */
  shutdownGraceMs: number;
}

const OPTIONS = Symbol('GRPC_SERVER_OPTIONS');

/** Starts serving once every module registered its handlers (onModuleInit), stops before the HTTP side closes. */
class GrpcServerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger;

  constructor(
    @Inject(GrpcServer) private readonly server: GrpcServer,
    @Inject(OPTIONS) private readonly options: GrpcServerModuleOptions,
  ) {
    this.logger = createLogger(options.serviceName).child({ context: 'gRPC' });
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = await this.server.listen(this.options.host, this.options.port);
    this.logger.info(`gRPC listening on ${this.options.host}:${port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server.shutdown(this.options.shutdownGraceMs);
  }
}

/** The process's gRPC server; services add their handlers to `GrpcServer` in onModuleInit. */
@Module({})
export class GrpcServerModule {
  static forRoot(options: GrpcServerModuleOptions): DynamicModule {
    return {
      module: GrpcServerModule,
      global: true,
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: GrpcServer, useFactory: () => new GrpcServer({ logger: createLogger(options.serviceName).child({ context: 'gRPC' }) }) },
        GrpcServerLifecycle,
      ],
      exports: [GrpcServer],
    };
  }
}
