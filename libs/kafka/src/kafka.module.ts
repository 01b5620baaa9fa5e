// Why not an @nestjs/microservices Kafka transport: its model is one handler call per message
// with the transport deciding when offsets are committed. The platform needs batch handlers,
// commit-only-after-success, retries with backoff and a dead-letter topic, and protobuf
// payloads with trace headers, so this module is a thin Nest wrapper around plain classes on
// top of kafkajs (usable without Nest by CLIs and tests).
import { Global, Inject, Module, type DynamicModule, type FactoryProvider, type ModuleMetadata, type OnApplicationShutdown } from '@nestjs/common';
import { KafkaConsumerRunner } from './consumer';
import { KafkaConnection, type KafkaConnectionOptions, type KafkaPingResult } from './kafka-connection';
import { kafkaMetrics } from './metrics';
import { KafkaProducer } from './producer';

export const KAFKA_MODULE_OPTIONS = Symbol('KAFKA_MODULE_OPTIONS');

export type KafkaModuleOptions = KafkaConnectionOptions;

export interface KafkaModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: (...args: never[]) => KafkaModuleOptions | Promise<KafkaModuleOptions>;
  readonly inject?: FactoryProvider['inject'];
}

/** Readiness of the Kafka dependency for `/readyz`. */
export class KafkaHealthIndicator {
  constructor(private readonly connection: KafkaConnection) {}

  /** Describes the cluster with a timeout; never throws. */
  ping(timeoutMs = 2_000): Promise<KafkaPingResult> {
    return this.connection.ping(timeoutMs);
  }
}

const classProviders: FactoryProvider[] = [
  {
    provide: KafkaConnection,
    useFactory: (options: KafkaModuleOptions) => new KafkaConnection(options),
    inject: [KAFKA_MODULE_OPTIONS],
  },
  {
    provide: KafkaProducer,
    useFactory: (connection: KafkaConnection) => new KafkaProducer(connection, kafkaMetrics()),
    inject: [KafkaConnection],
  },
  {
    provide: KafkaConsumerRunner,
    useFactory: (connection: KafkaConnection, producer: KafkaProducer) => new KafkaConsumerRunner(connection, producer, kafkaMetrics()),
    inject: [KafkaConnection, KafkaProducer],
  },
  {
    provide: KafkaHealthIndicator,
    useFactory: (connection: KafkaConnection) => new KafkaHealthIndicator(connection),
    inject: [KafkaConnection],
  },
];

const exported = [KafkaConnection, KafkaProducer, KafkaConsumerRunner, KafkaHealthIndicator];

@Global()
@Module({})
export class KafkaModule implements OnApplicationShutdown {
  constructor(
    @Inject(KafkaConsumerRunner) private readonly runner: KafkaConsumerRunner,
    @Inject(KafkaProducer) private readonly producer: KafkaProducer,
    @Inject(KafkaConnection) private readonly connection: KafkaConnection,
  ) {}

  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      providers: [{ provide: KAFKA_MODULE_OPTIONS, useValue: options }, ...classProviders],
      exports: exported,
    };
  }

  static forRootAsync(options: KafkaModuleAsyncOptions): DynamicModule {
    return {
      module: KafkaModule,
      imports: options.imports ?? [],
      providers: [{ provide: KAFKA_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, ...classProviders],
      exports: exported,
    };
  }

  /** Consumers first (they may still dead-letter through the producer), then the producer, then admin. */
  async onApplicationShutdown(): Promise<void> {
    await this.runner.stopAll();
    await this.producer.disconnect();
    await this.connection.close();
  }
}
