import { type DynamicModule, Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { Topics, type ModelCatalogEntry, type TopicSpec } from '@vectorstack/contracts';
import { KafkaConnection, KafkaConsumerRunner } from '@vectorstack/kafka';
import { createLogger } from '@vectorstack/observability';
import { CatalogAdminController } from './catalog-admin.controller';
import { CatalogCache } from './catalog-cache';
import { CatalogFileError, readCatalogFile, type CatalogFile } from './catalog-file';
import { CatalogFollower } from './catalog-follower';
import { CatalogOpenApiController } from '../openapi/openapi.controller';
import { CatalogOutbox } from './catalog-outbox.service';
import { CatalogSeeder } from './catalog-seeder.service';
import { CatalogStore } from './catalog-store.service';
import { loadCatalogConfig, type CatalogConfig } from './catalog.config';
import { CATALOG_CONFIG, CATALOG_TOPIC } from './catalog.tokens';
import { CredentialReader, type CredentialPolicy } from './credential-ref';
import { ModelCatalog } from './model-catalog';
import { ModelsController } from './models.controller';

const CATALOG_SEED = Symbol('CATALOG_SEED');
const SERVICE_NAME = 'router';

/** Like a bad variable: one line on stderr naming the file and the field, then exit (EX_CONFIG). */
function exitWithCatalogFileError(error: CatalogFileError): never {
  process.stderr.write(`${error.message}\n`);
  process.exit(78);
}

/**
 * Start-up order on every replica: apply the seed file (if any), then read the catalog topic
 * from the beginning and wait until caught up, so the replica does not listen before it knows
 * the catalog. One provider does it so the steps run in order (Nest runs a module's hooks concurrently).
 */
class CatalogLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ModelCatalog');

  constructor(
    @Inject(CatalogFollower) private readonly follower: CatalogFollower,
    @Inject(CatalogSeeder) private readonly seeder: CatalogSeeder,
    @Inject(CATALOG_SEED) private readonly seed: CatalogFile | null,
    @Inject(CATALOG_CONFIG) private readonly config: CatalogConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.seed) {
      try {
        const summary = await this.seeder.apply(this.seed);
        this.logger.log(`seed ${this.seed.path} applied: ${JSON.stringify(summary)}`);
      } catch (error) {
        if (error instanceof CatalogFileError) exitWithCatalogFileError(error);
        throw error;
      }
    }
    await this.follower.start();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.follower.caughtUp.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.config.ROUTER_CATALOG_CATCH_UP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut) this.logger.warn(`model catalog not caught up after ${this.config.ROUTER_CATALOG_CATCH_UP_TIMEOUT_MS} ms; serving while it catches up`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.follower.stop();
  }
}

export interface CatalogModuleOptions {
  /** The catalog topic (tests pass a per-run copy). */
  readonly topic?: TopicSpec<GenMessage<ModelCatalogEntry>>;
  /** Where the ROUTER_* catalog variables are read from (default: process.env). */
  readonly env?: Record<string, string | undefined>;
}

/**
 * The router's model catalog: admin routes (/v1/admin/models), the public model list
 * (/v1/models), the seed file, the outbox to the compacted catalog topic and this replica's
 * copy of the catalog. Global: the request path injects `ModelCatalog`.
 */
@Module({})
export class CatalogModule {
  static forRoot(options: CatalogModuleOptions = {}): DynamicModule {
    const config = loadCatalogConfig(options.env);
    const policy: CredentialPolicy = { fileDirs: config.ROUTER_CREDENTIAL_DIRS };
    // Read before anything starts: a bad seed file stops the process at once, like a bad variable.
    let seed: CatalogFile | null = null;
    if (config.ROUTER_CATALOG_FILE) {
      try {
        seed = readCatalogFile(config.ROUTER_CATALOG_FILE, policy);
      } catch (error) {
        if (error instanceof CatalogFileError) exitWithCatalogFileError(error);
        throw error;
      }
    }
    return {
      module: CatalogModule,
      global: true,
      controllers: [CatalogOpenApiController, ModelsController, CatalogAdminController],
      providers: [
        { provide: CATALOG_CONFIG, useValue: config },
        { provide: CATALOG_TOPIC, useValue: options.topic ?? Topics.modelCatalog },
        { provide: CATALOG_SEED, useValue: seed },
        { provide: CredentialReader, useValue: new CredentialReader(policy) },
        { provide: CatalogCache, useValue: new CatalogCache() },
        {
          provide: CatalogFollower,
          inject: [CatalogCache, KafkaConnection, KafkaConsumerRunner, CATALOG_TOPIC],
          useFactory: (cache: CatalogCache, connection: KafkaConnection, runner: KafkaConsumerRunner, topic: TopicSpec<GenMessage<ModelCatalogEntry>>) =>
            new CatalogFollower(cache, connection, runner, topic, SERVICE_NAME, createLogger(SERVICE_NAME)),
        },
        CatalogOutbox,
        CatalogStore,
        CatalogSeeder,
        ModelCatalog,
        CatalogLifecycle,
      ],
      exports: [ModelCatalog],
    };
  }
}
