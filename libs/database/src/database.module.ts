import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { ReadinessProbe } from '@vectorstack/health';
import type { DataSource } from 'typeorm';
import { createServiceDataSource, runServiceMigrations, type ServiceDatabaseOptions } from './data-source';

/**
 * TypeORM for one service schema. Migrations run at start-up (before the
 * service accepts traffic) and by the service's `migrate` command.
 */
@Module({})
export class DatabaseModule {
  static forService(options: ServiceDatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({}),
          dataSourceFactory: async () => {
            const dataSource = await createServiceDataSource(options).initialize();
            const applied = await runServiceMigrations(dataSource);
            if (applied.length > 0) new Logger('Migrations').log(`applied ${applied.join(', ')} to schema ${options.schema}`);
            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}

/** /readyz probe: a round trip on the service's pool. */
export function postgresProbe(dataSource: DataSource): ReadinessProbe {
  return {
    name: 'postgres',
    async check() {
      if (!dataSource.isInitialized) throw new Error('data source not initialised');
      await dataSource.query('SELECT 1');
    },
  };
}
