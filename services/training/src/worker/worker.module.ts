import { type DynamicModule, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { loggingModule } from '@vectorstack/observability';
import { PlatformModule, type WorkerServiceConfig } from '@vectorstack/platform';
import { bullConnection, QueueName, QueueWorker } from '@vectorstack/queue';
import { TRAINING_WORKER } from '../worker.definition';
import { TRAINING_JOB_HANDLERS, trainingJobHandlers } from './training-job.handlers';

const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** Owns the BullMQ worker of the training queue; starts with the app, drains on shutdown. */
class TrainingQueueWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: QueueWorker<QueueName.Training>;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerServiceConfig,
    @Inject(TRAINING_JOB_HANDLERS) private readonly handlers: ReturnType<typeof trainingJobHandlers>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new QueueWorker(QueueName.Training, bullConnection(this.config.REDIS_URL as string), this.handlers, {
      concurrency: 1,
      lockDurationMs: 120_000,
    });
    await this.worker.waitUntilReady();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}

@Module({})
export class WorkerModule {
  static forRoot(config: WorkerServiceConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [loggingModule(TRAINING_WORKER.name, config.LOG_LEVEL), PlatformModule.forService(TRAINING_WORKER, config)],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: TRAINING_JOB_HANDLERS, useFactory: trainingJobHandlers },
        TrainingQueueWorker,
      ],
    };
  }
}
