export { assertSchemaName, createServiceDataSource, runServiceMigrations, type ServiceDatabaseOptions } from './data-source';
export { DatabaseModule, postgresProbe } from './database.module';
export { runMigrateCommand } from './migrate-command';
export { DrainLoop, type DrainLoopLogger, type DrainLoopOptions } from './drain-loop';
export { OutboxRelay, type OutboxRelayOptions, type OutboxRow } from './outbox-relay';
