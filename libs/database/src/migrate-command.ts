import { createServiceDataSource, runServiceMigrations, type ServiceDatabaseOptions } from './data-source';

/** Body of each service's `migrate` entry point: apply pending migrations, print them, exit. */
export async function runMigrateCommand(options: ServiceDatabaseOptions): Promise<void> {
  const dataSource = await createServiceDataSource(options).initialize();
  try {
    const applied = await runServiceMigrations(dataSource);
    process.stdout.write(
      applied.length === 0
        ? `schema ${options.schema}: up to date\n`
        : `schema ${options.schema}: applied ${applied.join(', ')}\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}
