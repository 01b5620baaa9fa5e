// Rebuilds the usage rollups from the raw events:
//   node services/metering/dist/replay.js [--tenant <id>] [--month YYYY-MM]... [--dry-run]
// Prints, per table, the rows before and after and whether the rebuilt rows are identical.
// Exit code 0 on success (identical or not), 1 on failure, 2 on bad arguments.
import { databaseShape, loadConfigOrExit } from '@vectorstack/config';
import { createServiceDataSource } from '@vectorstack/database';
import { parseMonthLabel, type Month } from './common/months';
import { rebuildRollups, type RebuildOptions } from './replay/rollup-rebuild';

const USAGE = 'usage: node services/metering/dist/replay.js [--tenant <tenant id>] [--month YYYY-MM]... [--dry-run]';

function parseArgs(argv: readonly string[]): RebuildOptions {
  const months: Month[] = [];
  let tenantId: string | undefined;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--tenant' && argv[i + 1]) tenantId = argv[++i];
    else if (arg === '--month' && argv[i + 1]) {
      const month = parseMonthLabel(argv[++i]!);
      if (!month) throw new Error(`--month must be YYYY-MM, got '${argv[i]}'`);
      months.push(month);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument '${arg}'`);
  }
  return { ...(tenantId ? { tenantId } : {}), ...(months.length > 0 ? { months } : {}), dryRun };
}

async function main(): Promise<void> {
  let options: RebuildOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit(databaseShape);
  const dataSource = await createServiceDataSource({ schema: 'metering', url: config.DATABASE_URL, applicationName: 'vectorstack-metering-replay', poolSize: 2 }).initialize();
  try {
    const started = Date.now();
    const report = await rebuildRollups(dataSource, options);
    process.stdout.write(`${JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 })}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`replay failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
